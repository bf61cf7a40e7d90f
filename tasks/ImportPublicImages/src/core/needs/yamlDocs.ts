// YAML text (manifests, values files, Chart.yaml) to plain values, with the line of every map
// value and list item, and bounds an outsider cannot push past: an alias that expands past
// MAX_ALIAS_NODES nodes (an "alias bomb") is refused, as is a file with more than MAX_DOCUMENTS
// documents. Bytes to text: UTF-8 with or without a byte-order mark, CRLF or LF; UTF-16/32 and
// binary files are refused with what to do. Pure: takes bytes or text, returns values or a problem.
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { byteOrderMark } from '../list/listFile';

/** Nodes that aliases may add to a file, all aliases together (a real file adds a few dozen). */
export const MAX_ALIAS_NODES = 10000;
/** Documents in one file (a `helm template` of a large chart has a few hundred). */
export const MAX_DOCUMENTS = 10000;
/** Nesting depth of one value (manifests nest about 15 deep). */
export const MAX_DEPTH = 64;

/** A problem of one file: its message names the file and, where there is one, the line. */
export interface FileProblem {
  file: string;
  line?: number;
  message: string;
}

/** One document: its value, and the line of each map value / list item by container and key. */
export interface YamlDocument {
  value: unknown;
  /** The line the document starts on. */
  line: number;
}

export interface YamlFile {
  file: string;
  docs: YamlDocument[];
  /** The line (1-based) where `container[key]` is written, when the value came from this file. */
  lineOf(container: object, key: string | number): number | undefined;
}

export type YamlResult = { ok: true; yaml: YamlFile } | { ok: false; problem: FileProblem };

const SAVE_AS_UTF8 = 'save it as UTF-8 (with or without a byte-order mark)';

/** The file's text: UTF-8 (a byte-order mark dropped), or a problem naming the file. */
export function decodeText(
  file: string,
  bytes: Uint8Array,
): { ok: true; text: string } | { ok: false; problem: FileProblem } {
  const bom = byteOrderMark(bytes);
  if (bom !== undefined && bom !== 'UTF-8') {
    const message = `${file} is saved as ${bom} (it starts with a ${bom} byte-order mark); ${SAVE_AS_UTF8}.`;
    return { ok: false, problem: { file, message } };
  }
  const body = bom === 'UTF-8' ? bytes.subarray(3) : bytes;
  if (body.subarray(0, 8192).includes(0)) {
    const message = `${file} is not a text file (it holds NUL bytes, as a binary file or UTF-16 without a byte-order mark does); a YAML file is text: ${SAVE_AS_UTF8}.`;
    return { ok: false, problem: { file, message } };
  }
  return { ok: true, text: new TextDecoder('utf-8').decode(body) };
}

class TooBig extends Error {
  constructor(
    message: string,
    readonly offset: number | undefined,
  ) {
    super(message);
  }
}

/** Parses every document of `text` (already decoded) into plain values with their lines. */
export function parseYaml(file: string, text: string): YamlResult {
  const lc = new LineCounter();
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let docs: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(body, { lineCounter: lc, prettyErrors: true });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (err) {
    const message = `${file} is not YAML: ${err instanceof Error ? err.message : String(err)}`;
    return { ok: false, problem: { file, message } };
  }
  const lineAt = (offset: number): number => lc.linePos(offset).line || 1;
  if (docs.length > MAX_DOCUMENTS) {
    const message = `${file} holds ${docs.length} YAML documents, more than the ${MAX_DOCUMENTS} the task reads in one file; split it.`;
    return { ok: false, problem: { file, message } };
  }
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0].line ?? lineAt(err.pos[0]);
      const first = err.message.split('\n')[0] ?? err.message;
      const message = `${file} line ${line} is not valid YAML: ${first.replace(/ at line \d+, column \d+:?$/, '')}`;
      return { ok: false, problem: { file, line, message } };
    }
  }
  const lines = new WeakMap<object, Map<string | number, number>>();
  const note = (container: object, key: string | number, node: unknown): void => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (!range) return;
    let m = lines.get(container);
    if (!m) lines.set(container, (m = new Map()));
    m.set(key, range[0]); // an offset: its line is found only when asked
  };
  let aliasNodes = 0;
  const out: YamlDocument[] = [];
  try {
    for (const doc of docs) {
      const anchors = new Map<string, YamlNode>();
      const convert = (node: unknown, depth: number, viaAlias: boolean): unknown => {
        if (depth > MAX_DEPTH) {
          throw new TooBig(`nests deeper than ${MAX_DEPTH} levels`, rangeStart(node));
        }
        if (viaAlias && ++aliasNodes > MAX_ALIAS_NODES) {
          throw new TooBig(
            `its aliases expand past ${MAX_ALIAS_NODES} nodes (an "alias bomb"); write the values out instead of nesting aliases`,
            rangeStart(node),
          );
        }
        if (node === null || node === undefined) return null;
        const anchor = (node as { anchor?: string }).anchor;
        if (anchor) anchors.set(anchor, node as YamlNode);
        if (isAlias(node)) {
          const target = anchors.get(node.source);
          return target === undefined ? null : convert(target, depth + 1, true);
        }
        if (isScalar(node)) return node.value;
        if (isSeq(node)) {
          const arr: unknown[] = [];
          for (const item of node.items) {
            note(arr, arr.length, item);
            arr.push(convert(item, depth + 1, viaAlias));
          }
          return arr;
        }
        if (isMap(node)) {
          const obj: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
          const merges: unknown[] = [];
          for (const pair of node.items) {
            if (!isPair(pair)) continue;
            const key = keyText(pair.key);
            const value = convert(pair.value, depth + 1, viaAlias);
            if (key === '<<') merges.push(value);
            else {
              note(obj, key, pair.value ?? pair.key);
              obj[key] = value;
            }
          }
          // YAML 1.1 merge keys (Helm's parser reads them): explicit keys win.
          for (const m of merges.flat()) {
            if (m && typeof m === 'object' && !Array.isArray(m))
              for (const [k, v] of Object.entries(m)) if (!(k in obj)) obj[k] = v;
          }
          return obj;
        }
        return null;
      };
      const start = doc.contents?.range?.[0] ?? doc.range[0];
      out.push({ value: convert(doc.contents, 0, false), line: lineAt(start) });
    }
  } catch (err) {
    if (!(err instanceof TooBig)) throw err;
    const line = err.offset === undefined ? undefined : lineAt(err.offset);
    const at = line === undefined ? '' : ` (line ${line})`;
    return {
      ok: false,
      problem: {
        file,
        ...(line !== undefined ? { line } : {}),
        message: `${file}${at}: ${err.message}.`,
      },
    };
  }
  return {
    ok: true,
    yaml: {
      file,
      docs: out,
      lineOf: (c, k) => {
        const offset = lines.get(c)?.get(k);
        return offset === undefined ? undefined : lineAt(offset);
      },
    },
  };
}

function rangeStart(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | null)?.range?.[0];
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return key === null || key === undefined ? '' : String(key);
}

/** Bytes to values: decodeText then parseYaml. */
export function readYaml(file: string, bytes: Uint8Array): YamlResult {
  const text = decodeText(file, bytes);
  return text.ok ? parseYaml(file, text.text) : text;
}
