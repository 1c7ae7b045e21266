import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidConfigError } from '../../lib/config/errors.ts';
import {
  configHash,
  defaultConfig,
  parseConfig,
  parseConfigText,
  presetHash,
} from '../../lib/config/parse.ts';

function problemsOf(value: unknown): string[] {
  try {
    parseConfig(value, 'test.json');
  } catch (error) {
    assert.ok(error instanceof InvalidConfigError);
    return [...error.problems];
  }
  assert.fail('expected the config to be rejected');
}

describe('config', () => {
  it('defaults to 1600, 800 and 320 px wide, fit inside, never enlarged, as JPEG q80 and WebP q80', () => {
    const config = defaultConfig();
    assert.deepEqual(
      config.presets.map((p) => [p.name, p.width, p.fit, p.withoutEnlargement]),
      [
        ['w1600', 1600, 'inside', true],
        ['w800', 800, 'inside', true],
        ['w320', 320, 'inside', true],
      ],
    );
    for (const preset of config.presets) {
      assert.deepEqual(
        preset.formats.map((f) => [f.format, 'quality' in f ? f.quality : undefined]),
        [
          ['jpeg', 80],
          ['webp', 80],
        ],
      );
    }
    assert.equal(config.limits.maxPixels, 50_000_000);
  });

  it('names an unknown key, wherever it is', () => {
    assert.deepEqual(
      problemsOf({ presets: [{ name: 'a', width: 10, formats: [{ format: 'jpeg' }] }], colour: 1 }),
      ['config: unknown key "colour"'],
    );
    assert.deepEqual(
      problemsOf({
        presets: [{ name: 'a', widht: 10, width: 10, formats: [{ format: 'webp', qualty: 3 }] }],
      }).sort(),
      [
        'config.presets[0].formats[0]: unknown key "qualty"',
        'config.presets[0]: unknown key "widht"',
      ],
    );
  });

  it('reports every problem at once, in sharp’s "Expected … but received …" style', () => {
    const problems = problemsOf({
      presets: [
        { name: 'Big!', width: -3, formats: [{ format: 'jpeg', quality: 0 }] },
        { name: 'b', formats: [] },
      ],
      limits: { maxPixels: 'lots' },
    });
    assert.ok(
      problems.some((p) => p.startsWith('config.presets[0].name: Expected 1-32 characters')),
    );
    assert.ok(
      problems.includes(
        'config.presets[0].width: Expected number >= 1 for width but received -3 of type number',
      ),
    );
    assert.ok(
      problems.includes(
        'config.presets[0].formats[0].quality: Expected number >= 1 for quality but received 0 of type number',
      ),
    );
    assert.ok(problems.includes('config.presets[1]: Expected width, height or both'));
    assert.ok(
      problems.includes(
        'config.presets[1].formats: Expected array length >= 1 for formats but received [] of type array',
      ),
    );
    assert.ok(
      problems.includes(
        'config.limits.maxPixels: Expected number for maxPixels but received "lots" of type string',
      ),
    );
  });

  it('rejects duplicate preset names and text that is not JSON', () => {
    assert.deepEqual(
      problemsOf({
        presets: [
          { name: 'a', width: 1, formats: [{ format: 'png' }] },
          { name: 'a', width: 2, formats: [{ format: 'png' }] },
        ],
      }),
      ['config.presets[1].name: Duplicate preset name "a"'],
    );
    assert.throws(
      () => parseConfigText('{ presets: ', 'x.json'),
      /Invalid config in x.json:\n- not valid JSON/,
    );
  });

  it('hashes what shapes the renditions, and only that', () => {
    const base = defaultConfig();
    const sameAgain = parseConfigText(JSON.stringify({ presets: base.presets }), 'copy');
    assert.equal(configHash(sameAgain), configHash(base));
    const otherLimits = parseConfig({ presets: base.presets, limits: { maxPixels: 10 } }, 'limits');
    assert.equal(
      configHash(otherLimits),
      configHash(base),
      'limits decide acceptance, not renditions',
    );
    const changed = parseConfig(
      { presets: base.presets.map((p) => (p.name === 'w800' ? { ...p, width: 801 } : p)) },
      'changed',
    );
    assert.notEqual(configHash(changed), configHash(base));
    const hashes = (c: typeof base) => c.presets.map((p) => presetHash(p, c));
    assert.deepEqual(
      hashes(changed).map((h, i) => h === hashes(base)[i]),
      [true, false, true],
      'changing one preset changes only its hash',
    );
  });
});
