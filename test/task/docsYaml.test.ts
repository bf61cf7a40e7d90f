// The pipelines users copy (every ```yaml block of README.md, overview.md and docs/*.md) keep the
// review promise: each parses; a whole pipeline triggers only on the default branch (pull requests
// plan through build validation, docs/review-gate.md); a fragment says it is a step of that
// pipeline; the task's inputs, set or shown commented out, are inputs task.json has; a line naming
// something the user must create (a service connection) says so in a comment or is commented out.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '..', '..', '..');

interface Block {
  file: string;
  line: number;
  text: string;
}

/** Every ```yaml block of the user-facing markdown, with the line it starts on. */
export function yamlBlocks(): Block[] {
  const files = [
    'README.md',
    'overview.md',
    ...fs
      .readdirSync(path.join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const out: Block[] = [];
  for (const file of files) {
    const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*```ya?ml\s*$/.test(lines[i] ?? '')) continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && !/^\s*```\s*$/.test(lines[end] ?? '')) end++;
      out.push({ file, line: start + 1, text: lines.slice(start, end).join('\n') });
      i = end;
    }
  }
  return out;
}

interface TaskJson {
  inputs: { name: string; aliases?: string[] }[];
}
const task = JSON.parse(
  fs.readFileSync(path.join(root, 'tasks/ImportPublicImages/task.json'), 'utf8'),
) as TaskJson;
const known = new Set(task.inputs.flatMap((i) => [i.name, ...(i.aliases ?? [])]));

/** Inputs that name something the user creates first: a service connection. */
const CREATED = new Set([
  'azureSubscription',
  'azureResourceManagerConnection',
  'registryConnections',
]);

/** The ImportPublicImages steps' inputs in a parsed document. */
function taskInputs(
  node: unknown,
  found: Record<string, unknown>[] = [],
): Record<string, unknown>[] {
  if (Array.isArray(node)) node.forEach((n) => taskInputs(n, found));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o.task === 'string' && /^ImportPublicImages@\d+$/.test(o.task))
      found.push((o.inputs ?? {}) as Record<string, unknown>);
    Object.values(o).forEach((v) => taskInputs(v, found));
  }
  return found;
}

/** `# name: value` lines under an `inputs:` key (inputs shown commented out). */
function commentedInputs(text: string): string[] {
  const lines = text.split('\n');
  const names: string[] = [];
  lines.forEach((l, i) => {
    const m = /^(\s*)inputs:\s*(#.*)?$/.exec(l);
    if (!m) return;
    const indent = (m[1] ?? '').length;
    for (const next of lines.slice(i + 1)) {
      const ind = /^(\s*)/.exec(next)?.[1]?.length ?? 0;
      if (next.trim() && ind <= indent) break;
      const c = /^\s*#\s*([A-Za-z][A-Za-z0-9]*):(\s|$)/.exec(next);
      if (c?.[1]) names.push(c[1]);
    }
  });
  return names;
}

const isPipeline = (doc: unknown): doc is Record<string, unknown> =>
  !!doc &&
  typeof doc === 'object' &&
  !Array.isArray(doc) &&
  ['steps', 'jobs', 'stages'].some((k) => k in doc);

describe('docs: the YAML users copy keeps the review promise', () => {
  const blocks = yamlBlocks();

  it('there are YAML examples in README.md, overview.md and docs/', () => {
    const files = new Set(blocks.map((b) => b.file));
    for (const f of ['README.md', 'overview.md', 'docs/review-gate.md'])
      assert.ok(files.has(f), `${f} has a yaml block`);
  });

  for (const b of blocks) {
    const where = `${b.file}:${b.line}`;
    describe(where, () => {
      it('parses', () => assert.doesNotThrow(() => parse(b.text), where));

      it('a pipeline imports only from the default branch; a fragment says whose step it is', () => {
        const doc = parse(b.text) as unknown;
        if (isPipeline(doc)) {
          const trigger = doc.trigger as { branches?: { include?: unknown; exclude?: unknown } };
          assert.deepEqual(
            trigger?.branches?.include,
            ['main'],
            `${where}: trigger.branches.include`,
          );
          assert.equal(
            doc.pr ?? 'none',
            'none',
            `${where}: pull requests plan through build validation, not a pr: trigger`,
          );
        } else if (taskInputs(doc).length > 0) {
          assert.match(
            b.text.split('\n')[0] ?? '',
            /^#.*review-gate/,
            `${where}: a fragment opens with a comment naming the pipeline it belongs to (docs/review-gate.md)`,
          );
        }
      });

      it("names only task.json's inputs; what the user must create is commented as such", () => {
        const doc = parse(b.text) as unknown;
        const set = taskInputs(doc).flatMap((i) => Object.keys(i));
        for (const name of [...set, ...commentedInputs(b.text)])
          assert.ok(known.has(name), `${where}: ${name} is not an input of task.json`);
        for (const line of b.text.split('\n')) {
          const m = /^\s*([A-Za-z]+):\s*\S/.exec(line) ?? /[{,]\s*([A-Za-z]+):\s*\S/.exec(line);
          const name = m?.[1];
          if (name && CREATED.has(name))
            assert.match(
              line,
              /\s#\s*\S/,
              `${where}: "${line.trim()}" names a connection the user creates: say so in a comment`,
            );
        }
      });
    });
  }

  it('README.md and overview.md show a later step reading the output variables (name: on the step)', () => {
    for (const file of ['README.md', 'overview.md']) {
      const named = blocks
        .filter((b) => b.file === file)
        .map((b) => parse(b.text) as unknown)
        .filter(isPipeline)
        .flatMap((d) => (Array.isArray(d.steps) ? (d.steps as Record<string, unknown>[]) : []));
      const step = named.find((s) => /^ImportPublicImages@/.test(String(s.task)) && s.name);
      assert.ok(step, `${file}: the task step has a name:`);
      const ref = new RegExp(
        `\\$\\(${String(step.name)}\\.(importedCount|skippedCount|failedCount|resultPath)\\)`,
      );
      assert.ok(
        named.some((s) => s !== step && ref.test(JSON.stringify(s))),
        `${file}: a later step reads $(${String(step.name)}.importedCount) or another output`,
      );
    }
  });
});
