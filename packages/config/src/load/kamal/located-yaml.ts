/**
 * YAML as Kamal reads it (Psych: YAML 1.1, aliases and `<<` merge keys allowed, the last of
 * duplicate keys wins), turned into a tree that remembers the file and line of every value, so
 * that a problem or a mismatch can point at the line to change.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { ConfigProblem } from '../../upgate-config.error.js';

interface LocatedBase {
  /** The file as shown in messages (relative to the working directory where possible). */
  readonly file: string;
  /** 1-based line where the value starts. */
  readonly line: number;
}

export interface LocatedScalar extends LocatedBase {
  readonly kind: 'scalar';
  /** As YAML 1.1 resolves it: string, number, boolean, null, or a rarer type (timestamp, binary). */
  readonly value: unknown;
  /** The text as written, without quotes: what a message quotes back. */
  readonly source: string;
}

export interface LocatedEntry {
  readonly key: string;
  /** 1-based line of the key (where an editor should jump). */
  readonly line: number;
  readonly file: string;
  readonly node: LocatedNode;
  /** Lines of every occurrence of this key in its mapping when written more than once (the last wins). */
  readonly duplicateLines?: readonly number[];
}

export interface LocatedMap extends LocatedBase {
  readonly kind: 'map';
  readonly entries: ReadonlyMap<string, LocatedEntry>;
}

export interface LocatedSeq extends LocatedBase {
  readonly kind: 'seq';
  readonly items: readonly LocatedNode[];
}

export type LocatedNode = LocatedScalar | LocatedMap | LocatedSeq;

export interface ParsedYamlFile {
  /** The document's root, `undefined` for an empty document or when the YAML is invalid. */
  readonly root: LocatedNode | undefined;
  /** YAML syntax errors, each with its line. */
  readonly problems: readonly ConfigProblem[];
}

// Aliases can point at their own ancestors (`a: &x [*x]`); Psych would recurse forever too, so a
// depth limit turns such a file into an error instead of a stack overflow.
const MAX_DEPTH = 64;

/**
 * Kamal runs a deploy file through ERB before parsing it. upgate cannot evaluate ERB, but lines
 * holding nothing but an ERB control tag (`<% if ... %>`, `<% end %>`) are blanked so that the
 * YAML around them still parses; values that contain ERB are reported by the reader of the keys
 * that hold them. Line numbers are kept.
 */
export function blankErbControlLines(text: string): string {
  return text.replace(/^[ \t]*<%(?!=)[^\n]*%>[ \t]*$/gm, '');
}

/** Parses one YAML file (YAML 1.1, as Kamal's Psych does) into a located tree. */
export function parseLocatedYaml(text: string, file: string): ParsedYamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(blankErbControlLines(text), {
    lineCounter,
    version: '1.1',
    merge: true,
    uniqueKeys: false,
    prettyErrors: false,
  });
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    const seen = new Set<number>();
    const problems: ConfigProblem[] = [];
    for (const error of doc.errors) {
      const line = lineOf(error.pos[0]);
      if (seen.has(line)) continue;
      seen.add(line);
      const erbHint = text.includes('<%') ? ' (the file uses ERB, which upgate does not evaluate)' : '';
      problems.push({
        setting: `${file}:${line}`,
        value: '',
        message: `YAML syntax error: ${error.message}${erbHint}`,
      });
    }
    return { root: undefined, problems };
  }
  const problems: ConfigProblem[] = [];
  const root = doc.contents === null ? undefined : convert(doc, doc.contents, file, lineOf, 0, problems);
  return { root, problems };
}

function convert(
  doc: Document,
  node: YamlNode | null,
  file: string,
  lineOf: (offset: number) => number,
  depth: number,
  problems: ConfigProblem[],
  fallbackLine = 1,
): LocatedNode {
  if (node === null) return { kind: 'scalar', value: null, source: '', file, line: fallbackLine };
  const line = node.range ? lineOf(node.range[0]) : fallbackLine;
  if (depth > MAX_DEPTH) {
    problems.push({
      setting: `${file}:${line}`,
      value: '',
      message: 'nests aliases too deep (an alias inside its own anchor?)',
    });
    return { kind: 'scalar', value: null, source: '', file, line };
  }
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (!target) {
      problems.push({
        setting: `${file}:${line}`,
        value: `*${node.source}`,
        message: 'is an alias to an unknown anchor',
      });
      return { kind: 'scalar', value: null, source: '', file, line };
    }
    return convert(doc, target, file, lineOf, depth + 1, problems, line);
  }
  if (isScalar(node)) {
    return {
      kind: 'scalar',
      value: node.value,
      source: node.source === undefined ? String(node.value) : String(node.source),
      file,
      line,
    };
  }
  if (isSeq(node)) {
    const items = node.items.map((item) =>
      convert(doc, item as YamlNode | null, file, lineOf, depth + 1, problems, line),
    );
    return { kind: 'seq', items, file, line };
  }
  if (isMap(node)) {
    const explicit = new Map<string, LocatedEntry>();
    const occurrences = new Map<string, number[]>();
    const merged: LocatedMap[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const keyLine = keyNode?.range ? lineOf(keyNode.range[0]) : line;
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        // `<<: *defaults` or `<<: [*a, *b]`: the mappings' entries, under the explicit ones.
        const source = convert(doc, pair.value as YamlNode | null, file, lineOf, depth + 1, problems, keyLine);
        for (const candidate of source.kind === 'seq' ? source.items : [source]) {
          if (candidate.kind === 'map') merged.push(candidate);
        }
        continue;
      }
      const key = isScalar(keyNode) ? String(keyNode.value) : keyNode === null ? '' : String(keyNode);
      const value = convert(doc, pair.value as YamlNode | null, file, lineOf, depth + 1, problems, keyLine);
      const lines = occurrences.get(key) ?? [];
      lines.push(keyLine);
      occurrences.set(key, lines);
      explicit.set(key, {
        key,
        line: keyLine,
        file,
        node: value,
        ...(lines.length > 1 ? { duplicateLines: [...lines] } : {}),
      });
    }
    const entries = new Map<string, LocatedEntry>();
    for (const [key, entry] of explicit) entries.set(key, entry);
    for (const source of merged) {
      for (const [key, entry] of source.entries) if (!entries.has(key)) entries.set(key, entry);
    }
    return { kind: 'map', entries, file, line };
  }
  return { kind: 'scalar', value: null, source: '', file, line };
}

/**
 * ActiveSupport's `Hash#deep_merge`, as Kamal applies it to `deploy.<destination>.yml`: where both
 * sides hold a mapping, the mappings are merged key by key; otherwise the overlay's value replaces
 * the base's (lists are replaced, not concatenated; an explicit `null` replaces too).
 */
export function deepMerge(base: LocatedNode | undefined, overlay: LocatedNode | undefined): LocatedNode | undefined {
  if (overlay === undefined) return base;
  if (base === undefined || base.kind !== 'map' || overlay.kind !== 'map') return overlay;
  return mergeMaps(base, overlay);
}

function mergeMaps(base: LocatedMap, overlay: LocatedMap): LocatedMap {
  const entries = new Map<string, LocatedEntry>(base.entries);
  for (const [key, entry] of overlay.entries) {
    const existing = entries.get(key);
    if (existing && existing.node.kind === 'map' && entry.node.kind === 'map') {
      entries.set(key, { ...entry, node: mergeMaps(existing.node, entry.node) });
    } else {
      entries.set(key, entry);
    }
  }
  return { kind: 'map', entries, file: base.file, line: base.line };
}

/** How a value reads in a message: strings quoted, mappings and lists named. */
export function describeLocated(node: LocatedNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  if (node.value === null) return 'null (empty)';
  if (typeof node.value === 'string') return JSON.stringify(node.value);
  if (typeof node.value === 'number' || typeof node.value === 'boolean') return String(node.value);
  return JSON.stringify(node.source);
}
