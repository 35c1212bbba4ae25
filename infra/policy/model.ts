/**
 * A small structured model of a Bicep file, extracted from the tree-sitter syntax tree: the
 * declarations (params, vars, outputs, resources, modules) and helpers to read object properties
 * and literal values. Policy rules work on this model and fall back to raw nodes where needed.
 */
import type { ParsedFile, SyntaxNode } from './parse.js';

export interface Decorator {
  name: string;
  args: SyntaxNode[];
}

interface DeclBase {
  file: ParsedFile;
  node: SyntaxNode;
  line: number;
  decorators: Decorator[];
}

export interface ParamDecl extends DeclBase {
  name: string;
  typeText: string;
  value?: SyntaxNode;
}

export interface VarDecl extends DeclBase {
  name: string;
  value: SyntaxNode;
}

export interface OutputDecl extends DeclBase {
  name: string;
  typeText: string;
  value: SyntaxNode;
}

export interface ResourceDecl extends DeclBase {
  symbol: string;
  /** Full type, e.g. Microsoft.Storage/storageAccounts/blobServices (nested types resolved). */
  type: string;
  apiVersion: string;
  existing: boolean;
  /** The resource body object (inside `if (…)` or `[for …: …]` when present). */
  body?: SyntaxNode;
  loop: boolean;
  conditional: boolean;
}

export interface ModuleDecl extends DeclBase {
  symbol: string;
  path: string;
  body?: SyntaxNode;
  loop: boolean;
}

export interface FileModel {
  file: ParsedFile;
  params: ParamDecl[];
  vars: VarDecl[];
  outputs: OutputDecl[];
  resources: ResourceDecl[];
  modules: ModuleDecl[];
}

export const line = (node: SyntaxNode): number => node.startPosition.row + 1;

/** Unquoted value of a string node without interpolation; undefined otherwise. */
export function stringLiteral(node: SyntaxNode | undefined): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  if (node.namedChildren.some((c) => c?.type === 'interpolation')) return undefined;
  return node.namedChildren.map((c) => c?.text ?? '').join('');
}

export type Literal = string | number | boolean | null;

/** The value of a literal node (string, number, boolean, null, negative number); undefined when not a literal. */
export function literal(node: SyntaxNode | undefined): Literal | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'string':
      return stringLiteral(node);
    case 'number':
      return Number(node.text);
    case 'boolean':
      return node.text === 'true';
    case 'null':
      return null;
    case 'unary_expression':
      return node.text.startsWith('-') && node.namedChildren[0]?.type === 'number' ? -Number(node.namedChildren[0].text) : undefined;
    case 'parenthesized_expression':
      return node.namedChildCount === 1 ? literal(node.namedChildren[0] ?? undefined) : undefined;
    default:
      return undefined;
  }
}

function decoratorsOf(node: SyntaxNode | null | undefined): Decorator[] {
  if (!node || node.type !== 'decorators') return [];
  return node.namedChildren
    .filter((d): d is SyntaxNode => d?.type === 'decorator')
    .map((d) => {
      const call = d.namedChildren[0];
      const fn = call?.childForFieldName('function');
      const args = call?.childForFieldName('arguments');
      const name = (fn?.text ?? '').replace(/^sys\./, '');
      return { name, args: (args?.namedChildren ?? []).filter((a): a is SyntaxNode => !!a) };
    });
}

/** Body object of a resource/module value: object, `if (…) {…}`, `[for …: {…}]`, `[for …: if (…) {…}]`. */
export function bodyOf(value: SyntaxNode | undefined): { body?: SyntaxNode; loop: boolean; conditional: boolean } {
  if (!value) return { loop: false, conditional: false };
  if (value.type === 'object') return { body: value, loop: false, conditional: false };
  if (value.type === 'if_statement') {
    return { body: value.namedChildren.find((c) => c?.type === 'object') ?? undefined, loop: false, conditional: true };
  }
  if (value.type === 'for_statement') {
    const inner = bodyOf(value.childForFieldName('body') ?? undefined);
    return { body: inner.body, loop: true, conditional: inner.conditional };
  }
  return { loop: false, conditional: false };
}

function resourceFrom(file: ParsedFile, node: SyntaxNode, decorators: Decorator[], parentType?: string): ResourceDecl[] {
  const named = node.namedChildren.filter((c): c is SyntaxNode => !!c);
  const symbol = named[0]?.text ?? '';
  const typeString = stringLiteral(named[1]) ?? '';
  const [rawType = '', apiVersion = ''] = typeString.split('@');
  const type = parentType && !rawType.includes('/') ? `${parentType}/${rawType}` : rawType;
  const existing = node.children.some((c) => c?.type === 'existing');
  const { body, loop, conditional } = bodyOf(named[named.length - 1]);
  const self: ResourceDecl = { file, node, line: line(node), decorators, symbol, type, apiVersion, existing, body, loop, conditional };
  const nested: ResourceDecl[] = [];
  for (const prop of body?.namedChildren ?? []) {
    const inner = prop?.type === 'object_property' ? prop.namedChildren[0] : undefined;
    if (inner?.type === 'resource_declaration') nested.push(...resourceFrom(file, inner, [], type));
  }
  return [self, ...nested];
}

export function buildModel(file: ParsedFile): FileModel {
  const model: FileModel = { file, params: [], vars: [], outputs: [], resources: [], modules: [] };
  let pending: Decorator[] = [];
  for (const stmt of file.root.namedChildren) {
    if (!stmt) continue;
    if (stmt.type === 'decorators') {
      pending = pending.concat(decoratorsOf(stmt));
      continue;
    }
    const decorators = pending;
    pending = [];
    const named = stmt.namedChildren.filter((c): c is SyntaxNode => !!c);
    const base = { file, node: stmt, line: line(stmt), decorators };
    switch (stmt.type) {
      case 'parameter_declaration': {
        const typeNode = named.find((c) => c.type === 'type');
        const valueNode = typeNode ? named[named.indexOf(typeNode) + 1] : undefined;
        model.params.push({ ...base, name: named[0]?.text ?? '', typeText: typeNode?.text ?? '', value: valueNode });
        break;
      }
      case 'variable_declaration':
        if (named[1]) model.vars.push({ ...base, name: named[0]?.text ?? '', value: named[1] });
        break;
      case 'output_declaration':
        if (named[2]) model.outputs.push({ ...base, name: named[0]?.text ?? '', typeText: named[1]?.text ?? '', value: named[2] });
        break;
      case 'resource_declaration':
        model.resources.push(...resourceFrom(file, stmt, decorators));
        break;
      case 'module_declaration': {
        const { body, loop } = bodyOf(named[named.length - 1]);
        model.modules.push({ ...base, symbol: named[0]?.text ?? '', path: stringLiteral(named[1]) ?? '', body, loop });
        break;
      }
      default:
        break;
    }
  }
  return model;
}

/** Key of an object_property as written (identifier or quoted string). */
export function propertyKey(prop: SyntaxNode): string {
  const key = prop.namedChildren[0];
  if (!key) return '';
  if (key.type === 'string') return stringLiteral(key) ?? key.text;
  return key.text.replace(/\?$/, '');
}

/** Value node of an object_property. */
export function propertyValue(prop: SyntaxNode): SyntaxNode | undefined {
  const children = prop.children;
  const colon = children.findIndex((c) => c?.type === ':');
  return colon >= 0 ? (children[colon + 1] ?? undefined) : undefined;
}

export function properties(obj: SyntaxNode | undefined): Map<string, SyntaxNode> {
  const map = new Map<string, SyntaxNode>();
  if (obj?.type !== 'object') return map;
  for (const prop of obj.namedChildren) {
    if (prop?.type !== 'object_property') continue;
    const value = propertyValue(prop);
    if (value) map.set(propertyKey(prop), value);
  }
  return map;
}

/**
 * Resolves a value through identifiers of variables declared in the same file, so
 * `rotationPolicy: rotationPolicy` and `properties: appSettings` are followed to their objects.
 */
export function resolve(model: FileModel, node: SyntaxNode | undefined, depth = 0): SyntaxNode | undefined {
  if (!node || depth > 5) return node;
  if (node.type === 'identifier') {
    const v = model.vars.find((x) => x.name === node.text);
    if (v) return resolve(model, v.value, depth + 1);
  }
  if (node.type === 'for_statement') {
    return resolve(model, node.childForFieldName('body') ?? undefined, depth + 1);
  }
  return node;
}

/** Follows a dotted path through object literals (resolving same-file variables). */
export function getPath(model: FileModel, obj: SyntaxNode | undefined, path: string): SyntaxNode | undefined {
  let current = resolve(model, obj);
  for (const key of path.split('.')) {
    current = resolve(model, properties(current).get(key));
    if (!current) return undefined;
  }
  return current;
}

/** All descendants (including the node) of the given type. */
export function descendants(node: SyntaxNode | undefined, type: string): SyntaxNode[] {
  if (!node) return [];
  return node.descendantsOfType(type).filter((n): n is SyntaxNode => !!n);
}

/** All string literals in a subtree. */
export function stringLiterals(node: SyntaxNode | undefined): { value: string; node: SyntaxNode }[] {
  return descendants(node, 'string')
    .map((n) => ({ value: stringLiteral(n), node: n }))
    .filter((s): s is { value: string; node: SyntaxNode } => s.value !== undefined);
}

/** Identifiers referenced in a subtree (including member-expression roots). */
export function identifiers(node: SyntaxNode | undefined): string[] {
  return descendants(node, 'identifier').map((n) => n.text);
}

/** Names of functions called in a subtree, e.g. ['listKeys', 'guid']. */
export function calledFunctions(node: SyntaxNode | undefined): string[] {
  return descendants(node, 'call_expression').map((c) => {
    const fn = c.childForFieldName('function');
    const text = fn?.text ?? '';
    return text.includes('.') ? text.slice(text.lastIndexOf('.') + 1) : text;
  });
}

/** Elements of an array literal (after resolving variables). */
export function arrayElements(model: FileModel, node: SyntaxNode | undefined): SyntaxNode[] {
  const resolved = resolve(model, node);
  if (resolved?.type !== 'array') return [];
  return resolved.namedChildren.filter((c): c is SyntaxNode => !!c && c.type !== 'decorators' && c.type !== 'comment');
}
