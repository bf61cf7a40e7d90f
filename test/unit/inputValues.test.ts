// Boolean and pickList inputs: only what task.json offers is accepted (any case); anything else
// is refused with the input's name and the accepted values. The tables in ado/inputs.ts are held
// against task.json, so a new boolean or pickList input cannot slip past the strict readers.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  parseBoolean,
  parseChoice,
} from '../../tasks/ImportPublicImages/src/core/list/inputValues';
import { BOOLEAN_INPUTS, CHOICE_INPUTS } from '../../tasks/ImportPublicImages/src/ado/inputs';

interface TaskJsonInput {
  name: string;
  type: string;
  defaultValue?: string;
  options?: Record<string, string>;
  properties?: Record<string, string>;
}

const taskJson = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../../../tasks/ImportPublicImages/task.json'), 'utf8'),
) as { inputs: TaskJsonInput[] };

describe('inputs: booleans', () => {
  const accepted: [string | undefined, boolean][] = [
    ['true', true],
    ['TRUE', true],
    ['True', true],
    [' true ', true],
    ['false', false],
    ['FALSE', false],
    ['False', false],
    ['', false],
    ['   ', false],
    [undefined, false],
  ];
  for (const [raw, want] of accepted)
    it(`${JSON.stringify(raw)} -> ${want}`, () =>
      assert.equal(parseBoolean('dryRun', raw, false), want));

  it('an absent value takes the default', () => {
    assert.equal(parseBoolean('dryRun', undefined, true), true);
    assert.equal(parseBoolean('dryRun', '', true), true);
  });

  for (const raw of ['yes', 'no', '1', '0', 'on', 'off', 'y', 'truee', 't', '$(DRY_RUN)']) {
    it(`refuses ${JSON.stringify(raw)}, naming the input and the accepted values`, () => {
      assert.throws(
        () => parseBoolean('dryRun', raw, false),
        (err: Error) =>
          err.message.includes('Input dryRun') &&
          err.message.includes('true or false') &&
          err.message.includes(`"${raw}"`),
      );
    });
  }

  it('cuts a long refused value', () => {
    assert.throws(
      () => parseBoolean('dryRun', 'x'.repeat(5000), false),
      (err: Error) => err.message.length < 400,
    );
  });
});

describe('inputs: pickLists', () => {
  const modes = ['sync', 'missing', 'force'] as const;
  for (const [raw, want] of [
    ['sync', 'sync'],
    ['Sync', 'sync'],
    [' MISSING ', 'missing'],
    ['force', 'force'],
    ['', 'sync'],
    [undefined, 'sync'],
  ] as const) {
    it(`importMode ${JSON.stringify(raw)} -> ${want}`, () =>
      assert.equal(parseChoice('importMode', raw, modes, 'sync'), want));
  }
  for (const raw of ['synch', 'overwrite', 'true', 'sync,force']) {
    it(`refuses importMode ${JSON.stringify(raw)}, listing the accepted values`, () => {
      assert.throws(
        () => parseChoice('importMode', raw, modes, 'sync'),
        (err: Error) =>
          err.message.includes('Input importMode') &&
          err.message.includes('sync, missing, force') &&
          err.message.includes(`"${raw}"`),
      );
    });
  }
  it('quotes the refused value as written, not lower-cased', () => {
    assert.throws(
      () => parseChoice('failurePolicy', 'Ignore', ['fail', 'warn'], 'fail'),
      /"Ignore"/,
    );
  });
});

describe('inputs: the strict readers cover task.json', () => {
  it('every boolean input of task.json is read strictly, and nothing else is', () => {
    const booleans = taskJson.inputs.filter((i) => i.type === 'boolean').map((i) => i.name);
    assert.ok(booleans.length > 0);
    assert.deepEqual([...BOOLEAN_INPUTS].sort(), booleans.sort());
  });

  it('every pickList with fixed options is read strictly with exactly those options', () => {
    const fixed = taskJson.inputs.filter(
      (i) => i.type === 'pickList' && i.properties?.EditableOptions !== 'True',
    );
    assert.ok(fixed.length > 0);
    const tables = CHOICE_INPUTS as Record<string, readonly string[]>;
    assert.deepEqual(Object.keys(tables).sort(), fixed.map((i) => i.name).sort());
    for (const input of fixed) {
      assert.deepEqual(
        [...(tables[input.name] ?? [])].sort(),
        Object.keys(input.options ?? {}).sort(),
        input.name,
      );
    }
  });

  it('an editable pickList (acrName) has no options to enforce', () => {
    const editable = taskJson.inputs.filter(
      (i) => i.type === 'pickList' && i.properties?.EditableOptions === 'True',
    );
    for (const input of editable) assert.equal(input.options, undefined, input.name);
  });

  it("every boolean's and pickList's default is accepted", () => {
    for (const input of taskJson.inputs) {
      if (input.type === 'boolean') parseBoolean(input.name, input.defaultValue, false);
      const allowed = (CHOICE_INPUTS as Record<string, readonly string[]>)[input.name];
      if (allowed && input.defaultValue !== undefined)
        assert.equal(parseChoice(input.name, input.defaultValue, allowed, 'x'), input.defaultValue);
    }
  });
});
