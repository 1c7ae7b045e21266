/**
 * Every command's --help lists exactly the options it parses: both come from one spec
 * (cli/args.ts). A command written with a hand-made Options block, or none, fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { helpOption, type OptionSpec, optionsHelp } from '../../cli/args.ts';

const commandsDir = new URL('../../cli/commands/', import.meta.url);
const commandFiles = readdirSync(commandsDir).filter((f) => f.endsWith('.ts'));

/** The options a help text lists: `  --name …` or `  -x, --name …` at the start of a line. */
function listedOptions(help: string): string[] {
  return [...help.matchAll(/^ {2}(?:-(\w), )?--([a-z][\w-]*)/gm)].map(
    ([, short, name]) => `${short ? `-${short}, ` : ''}--${name}`,
  );
}

function specOptions(spec: OptionSpec): string[] {
  return Object.entries(spec).map(([name, o]) => `${o.short ? `-${o.short}, ` : ''}--${name}`);
}

describe('command help', () => {
  it('finds the commands', () => {
    assert.ok(commandFiles.length >= 10, commandFiles.join(' '));
  });

  for (const file of commandFiles) {
    it(`${file}: --help lists exactly the options it parses, once each, in order`, async () => {
      const module = (await import(new URL(file, commandsDir).href)) as {
        options?: OptionSpec;
        help?: string;
      };
      assert.ok(module.options, `${file} exports its option spec as \`options\``);
      assert.equal(typeof module.help, 'string');
      assert.deepEqual(listedOptions(module.help ?? ''), specOptions(module.options));
      assert.equal(module.options.help?.short, 'h', `${file} takes -h, --help`);
    });
  }
});

describe('optionsHelp', () => {
  it('aligns names, values, continuations, sections and notes as the help always read', () => {
    const text = optionsHelp({
      out: { type: 'string', value: 'DIR', help: 'where to write' },
      'include-finished': { type: 'boolean', help: ['a name past the column', 'and more'] },
      'max-entries': {
        type: 'string',
        value: 'N',
        section: 'Archive caps:',
        help: 'entries',
        note: 'A note on the block.',
      },
      help: helpOption,
    });
    assert.equal(
      text,
      [
        'Options:',
        '  --out DIR          where to write',
        '  --include-finished a name past the column',
        '                     and more',
        'Archive caps:',
        '  --max-entries N    entries',
        '  A note on the block.',
        '  -h, --help',
        '',
      ].join('\n'),
    );
  });

  it('takes a wider column', () => {
    assert.equal(
      optionsHelp({ grace: { type: 'string', value: 'SECONDS', help: 'g' } }, { width: 21 }),
      'Options:\n  --grace SECONDS       g\n',
    );
  });
});
