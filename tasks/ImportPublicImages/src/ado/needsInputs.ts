// The needed-images inputs (docs/needed-images.md), read and checked before any request:
// manifestPaths (globs; the files read by needsFiles.ts), chartValues (`PATTERN => a.yaml, b.yaml`
// lines, each values file read and parsed now: a missing or invalid one fails the run before any
// request) and unlistedImages.
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { compilePatterns } from '../core/plan/allowedSources';
import { parseChoice } from '../core/list/inputValues';
import { globProblem } from '../core/needs/glob';
import { UNLISTED_IMAGES, type UnlistedImages } from '../core/needs/needsReport';
import { isObject } from '../core/needs/needed';
import type { ChartValuesLine } from '../core/needs/chartLineNeeds';
import { readYaml } from '../core/needs/yamlDocs';
import { readRegularFile } from './needsFiles';

export interface NeedsInputs {
  manifestPaths: string[];
  chartValues: ChartValuesLine[];
  unlistedImages: UnlistedImages;
  /** Where relative paths start: the working directory (the sources directory on an agent). */
  root: string;
}

function lines(name: string): { text: string; line: number }[] {
  return (tl.getInput(name, false) ?? '')
    .split(/\r?\n/)
    .map((text, i) => ({ text: text.trim(), line: i + 1 }))
    .filter((l) => l.text !== '' && !l.text.startsWith('#'));
}

/** Reads the inputs; throws the first problem, naming the input, its line and the fix. */
export function readNeedsInputs(root = process.cwd()): NeedsInputs {
  const unlistedImages = parseChoice(
    'unlistedImages',
    tl.getInput('unlistedImages', false),
    UNLISTED_IMAGES,
    'warn',
  );
  const manifestPaths = lines('manifestPaths').map(({ text, line }) => {
    const problem = globProblem(text);
    if (problem)
      throw new Error(
        `Input manifestPaths line ${line}: ${text}: ${problem}. Nothing was imported.`,
      );
    return text;
  });
  const chartValues = lines('chartValues').map(({ text, line }) => {
    const at = `Input chartValues line ${line}`;
    const arrow = text.indexOf('=>');
    if (arrow < 0)
      throw new Error(
        `${at}: write CHART_PATTERN => path/to/values.yaml[, more.yaml] (quay.io/jetstack/charts/* => deploy/cert-manager.yaml). Nothing was imported.`,
      );
    const [pattern] = compilePatterns([text.slice(0, arrow).trim()], `chartValues line ${line}`);
    const files = text
      .slice(arrow + 2)
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    if (!pattern || files.length === 0)
      throw new Error(`${at}: name at least one values file after =>. Nothing was imported.`);
    const values = files.map((file) => {
      const read = readRegularFile(path.resolve(root, file), file, `chartValues line ${line}`);
      if (!read.ok) throw new Error(`${read.problem.message} Nothing was imported.`);
      const parsed = readYaml(file, read.bytes);
      if (!parsed.ok)
        throw new Error(
          `Input chartValues line ${line}: ${parsed.problem.message} Nothing was imported.`,
        );
      const v = parsed.yaml.docs[0]?.value ?? {};
      if (!isObject(v))
        throw new Error(
          `Input chartValues line ${line}: ${file} is not a map of values (it is YAML, but not key: value pairs). Nothing was imported.`,
        );
      return { file, values: v };
    });
    return { pattern, values };
  });
  return { manifestPaths, chartValues, unlistedImages, root };
}
