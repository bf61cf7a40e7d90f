// task.json as the classic editor shows it, read from the PACKAGED task.json of each flavour (and
// the source one): valid against Microsoft's schema (offline copy, test/task/schema/SOURCE.md),
// every input in a group, every required input something the editor can fill, every pickList with
// options or a data source, every visibleRule on existing inputs, help on every input, links that
// point at files of this repository, and the inputs tables of README.md and overview.md complete.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { REPOSITORY, packaged, root, type TaskJson } from './packaged';

const schema = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../../test/task/schema/tasks.schema.json'), 'utf8'),
);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const draft04 = require('ajv/lib/refs/json-schema-draft-04.json');
const sourceTask = (): TaskJson =>
  JSON.parse(
    fs.readFileSync(path.join(root, 'tasks/ImportPublicImages/task.json'), 'utf8'),
  ) as TaskJson;

/** The input names a visibleRule reads: `a = x && b != "" || c NotEndsWith y`. */
export function ruleInputs(rule: string): string[] {
  return rule
    .split(/&&|\|\|/)
    .map(
      (clause) =>
        /^\s*([A-Za-z][A-Za-z0-9]*)\s*(==|=|!=|<=|>=|<|>|NotEndsWith|EndsWith|NotContains|Contains|NotIn|In)\s*/.exec(
          clause,
        )?.[1],
    )
    .map((name, i) => {
      if (!name) throw new Error(`clause ${i + 1} of visibleRule "${rule}" has no input name`);
      return name;
    });
}

describe('task.json: schema and the classic editor form', function () {
  this.timeout(180000);
  before(() => packaged());

  const flavours = (): [string, TaskJson][] => [
    ['source', sourceTask()],
    ['dev', packaged().dev.taskJson],
    ['prod', packaged().prod.taskJson],
  ];

  it("validates against Microsoft's tasks.schema.json (draft-04, with ajv)", () => {
    const ajv = new Ajv({ schemaId: 'id', allErrors: true, logger: false }); // no "schema $id ignored" lines
    ajv.addMetaSchema(draft04);
    const validate = ajv.compile(schema);
    for (const [name, task] of flavours()) {
      assert.ok(validate(task), `${name}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`);
    }
    // and the schema does catch a mistake
    const broken = {
      ...sourceTask(),
      inputs: [{ name: 'x', type: 'string', label: 'X', helpText: 'no' }],
    };
    assert.equal(validate(broken), false);
  });

  it('every input is in a group that exists; every required input has a default, is a connection or a bound pickList', () => {
    for (const [name, task] of flavours()) {
      const groups = new Set(task.groups.map((g) => g.name));
      const bound = new Set((task.dataSourceBindings ?? []).map((b) => b.target));
      for (const input of task.inputs) {
        assert.ok(
          input.groupName && groups.has(input.groupName),
          `${name}: ${input.name} is in no group`,
        );
        if (!input.required) continue;
        const fillable =
          (input.defaultValue !== undefined && input.defaultValue !== '') ||
          input.type.startsWith('connectedService:') ||
          (input.type === 'pickList' && bound.has(input.name));
        assert.ok(
          fillable,
          `${name}: required ${input.name} has no default, is no connection and no bound pickList`,
        );
      }
    }
  });

  it('a default that is a macro ($(DOCKER_NAME)) sits in a collapsed group: the editor never shows it as a value in an open form', () => {
    for (const [name, task] of flavours()) {
      const expanded = new Map(task.groups.map((g) => [g.name, g.isExpanded === true]));
      const macros = task.inputs.filter((i) => /\$\(/.test(String(i.defaultValue ?? '')));
      for (const name of ['dockerHubUsername', 'dockerHubPassword'])
        assert.ok(
          macros.some((i) => i.name === name),
          `${name}'s default reads the variable group`,
        );
      for (const input of macros)
        assert.equal(
          expanded.get(input.groupName ?? ''),
          false,
          `${name}: ${input.name}'s group is open`,
        );
    }
  });

  it('every pickList has options or a data source binding; every binding targets an input and names its connection input', () => {
    const task = packaged().prod.taskJson;
    const names = new Set(task.inputs.map((i) => i.name));
    const bound = new Set((task.dataSourceBindings ?? []).map((b) => b.target));
    for (const input of task.inputs.filter((i) => i.type === 'pickList')) {
      const options = Object.keys(input.options ?? {}).length > 0;
      assert.ok(options || bound.has(input.name), `${input.name}: a pickList with nothing to pick`);
      if (options && input.defaultValue !== undefined)
        assert.ok(
          Object.keys(input.options!).includes(String(input.defaultValue)),
          `${input.name}: default not an option`,
        );
    }
    for (const b of task.dataSourceBindings ?? []) {
      assert.ok(names.has(b.target), `binding target ${b.target}`);
      const endpoint = /^\$\(([A-Za-z0-9]+)\)$/.exec(b.endpointId ?? '')?.[1];
      const input = task.inputs.find((i) => i.name === endpoint);
      assert.ok(
        input?.type.startsWith('connectedService:'),
        `binding ${b.target}: endpointId ${b.endpointId}`,
      );
    }
  });

  it('every visibleRule (inputs and groups) names existing inputs; instanceNameFormat too', () => {
    assert.deepEqual(ruleInputs('a = x && bB != "" || c NotEndsWith y'), ['a', 'bB', 'c']);
    assert.throws(() => ruleInputs('= x'), /no input name/);
    for (const [name, task] of flavours()) {
      const names = new Set(task.inputs.map((i) => i.name));
      for (const item of [...task.inputs, ...task.groups]) {
        if (!item.visibleRule) continue;
        for (const used of ruleInputs(item.visibleRule))
          assert.ok(
            names.has(used),
            `${name}: visibleRule of ${item.name} reads ${used}, which is no input`,
          );
      }
      for (const m of task.instanceNameFormat.matchAll(/\$\(([^)]+)\)/g))
        assert.ok(names.has(m[1]!), `${name}: instanceNameFormat reads ${m[1]}`);
    }
  });

  it('help on every input; numeric inputs checked by the editor (isVariableOrNonNegativeNumber) with their range in the help', () => {
    const task = packaged().prod.taskJson;
    for (const input of task.inputs) {
      assert.ok((input.helpMarkDown ?? '').trim().length >= 20, `${input.name} has no help`);
      assert.ok(input.label.trim(), `${input.name} has no label`);
    }
    for (const name of ['concurrency', 'retries', 'importTimeoutMinutes']) {
      const input = task.inputs.find((i) => i.name === name)!;
      assert.equal(input.properties?.isVariableOrNonNegativeNumber, 'true', name);
      assert.match(
        input.helpMarkDown ?? '',
        /from \d+(\.\d+)? to \d+/,
        `${name} help states its range`,
      );
      // concurrency's default is empty: the task chooses from the list (core/run/concurrency.ts).
      if (name === 'concurrency') assert.equal(input.defaultValue, '', name);
      else assert.ok(Number.isFinite(Number(input.defaultValue)), `${name} default is a number`);
    }
    assert.equal(task.inputs.find((i) => i.name === 'resourceGroup')?.groupName, 'advanced');
    assert.match(
      task.inputs.find((i) => i.name === 'registryConnections')?.helpMarkDown ?? '',
      /comma-separated/,
    );
    for (const name of ['dockerHubUsername', 'dockerHubPassword']) {
      const input = task.inputs.find((i) => i.name === name)!;
      assert.match(String(input.defaultValue), /^\$\(DOCKER_(NAME|TOKEN)\)$/);
      assert.match(
        input.helpMarkDown ?? '',
        /Defaults to `\$\(DOCKER_(NAME|TOKEN)\)`.*variable group.*Docker Registry service connection/s,
      );
    }
    for (const input of task.inputs)
      for (const text of Object.values(input.options ?? {}))
        assert.doesNotMatch(text, /old script/i, `${input.name} option "${text}"`);
  });

  it('helpUrl, author, releaseNotes and demands are filled; every help link is a file or anchor of this repository', () => {
    const task = packaged().prod.taskJson;
    assert.equal(task.helpUrl, REPOSITORY);
    assert.ok(task.author?.trim());
    assert.ok(task.releaseNotes?.trim());
    assert.deepEqual(task.demands, []);
    const texts = [task.helpMarkDown ?? '', ...task.inputs.map((i) => i.helpMarkDown ?? '')];
    let links = 0;
    for (const text of texts) {
      for (const m of text.matchAll(/\]\((https?:\/\/[^)]+)\)/g)) {
        links++;
        const url = m[1]!;
        assert.ok(
          url.startsWith(`${REPOSITORY}/blob/HEAD/`),
          `${url} is not a file of the repository`,
        );
        const [file, anchor] = url.slice(`${REPOSITORY}/blob/HEAD/`.length).split('#');
        const full = path.join(root, file!);
        assert.ok(fs.existsSync(full), `${url}: ${file} does not exist`);
        if (anchor) {
          const slugs = fs
            .readFileSync(full, 'utf8')
            .split('\n')
            .filter((l) => /^#+ /.test(l))
            .map((l) =>
              l
                .replace(/^#+ /, '')
                .trim()
                .toLowerCase()
                .replace(/[^a-z0-9 -]/g, '')
                .replace(/ /g, '-'),
            );
          assert.ok(slugs.includes(anchor), `${url}: no heading #${anchor} in ${file}`);
        }
      }
    }
    assert.ok(links >= 3, `${links} links`);
  });

  it("README.md's and overview.md's inputs tables name every input", () => {
    const task = sourceTask();
    for (const doc of ['README.md', 'overview.md']) {
      const rows = fs
        .readFileSync(path.join(root, doc), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .join('\n');
      for (const input of task.inputs)
        assert.ok(rows.includes(`\`${input.name}\``), `${doc}: no row for ${input.name}`);
    }
  });
});
