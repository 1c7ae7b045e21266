/**
 * The image row's contract (events/image-row.ts): which statuses are terminal, and what a read
 * accepts as a row.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageStatuses, isTerminal, parseImageRow } from '../../events/image-row.ts';

describe('the image row contract', () => {
  it('calls DONE and REJECTED terminal, and nothing else', () => {
    assert.deepEqual(
      imageStatuses.filter((s) => isTerminal(s)),
      ['DONE', 'REJECTED'],
    );
    assert.equal(isTerminal(undefined), false);
  });

  it('reads a row with its keys and a known status, keeping every attribute', () => {
    const item = {
      pk: 'uploads/a.jpg',
      sk: 'v#e#c#h',
      status: 'DONE',
      attempts: 1,
      analysis: { dominantColour: '#000000' },
      renditions: [{ key: 'uploads/a.jpg/x.webp', bytes: 10, width: 1 }],
    };
    assert.deepEqual(parseImageRow(item), item);
  });

  it('names what makes an item not a row', () => {
    assert.equal(
      parseImageRow({ pk: 'p', sk: 's', status: 'LOST' }).toString().startsWith('status:'),
      true,
    );
    assert.match(
      String(parseImageRow({ pk: 'p', sk: 's', status: 'DONE', attempts: '1' })),
      /^attempts:/,
    );
    assert.match(String(parseImageRow({ sk: 's', status: 'DONE' })), /^pk:/);
  });
});
