/**
 * Parses Bicep (`.bicep`) and parameter (`.bicepparam`) files with tree-sitter-bicep through
 * web-tree-sitter (WASM). No native addon and no Bicep compiler are needed.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';

const require = createRequire(import.meta.url);

export type SyntaxNode = Node;

export interface SyntaxProblem {
  file: string;
  line: number;
  column: number;
  kind: 'ERROR' | 'MISSING';
  message: string;
}

export interface ParsedFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the root the workspace was loaded from (forward slashes). */
  relPath: string;
  kind: 'bicep' | 'bicepparam';
  source: string;
  tree: Tree;
  root: SyntaxNode;
}

let parserPromise: Promise<Parser> | undefined;

/** Path of the grammar's WASM build shipped inside the tree-sitter-bicep package. */
export function bicepWasmPath(): string {
  return join(dirname(require.resolve('tree-sitter-bicep/package.json')), 'tree-sitter-bicep.wasm');
}

/** One shared parser: loading the WASM module is the expensive part. */
export function getParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    const language = await Language.load(bicepWasmPath());
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

export async function parseSource(path: string, source: string, relPath = path): Promise<ParsedFile> {
  const parser = await getParser();
  const kind = path.endsWith('.bicepparam') ? 'bicepparam' : 'bicep';
  const tree = parser.parse(kind === 'bicepparam' ? normaliseBicepparam(source) : source);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${path}`);
  return {
    path,
    relPath,
    kind,
    source,
    tree,
    root: tree.rootNode,
  };
}

export async function parseFile(path: string, root = dirname(path)): Promise<ParsedFile> {
  return parseSource(path, readFileSync(path, 'utf8'), relative(root, path).split('\\').join('/'));
}

/** Every .bicep / .bicepparam file below `dir`, sorted for stable output. */
export function listBicepFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry.endsWith('.bicep') || entry.endsWith('.bicepparam')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * tree-sitter-bicep 1.1.0 models `param <name> <type> [= value]` only, so the `.bicepparam`
 * assignment form `param <name> = <value>` does not parse (a MISSING type, or for object values an
 * ERROR because `{…}` is read as an object type). Before parsing a `.bicepparam` file the
 * assignment form is normalised to `param <name> ${BICEPPARAM_TYPE_PLACEHOLDER} = <value>`, which the grammar
 * reads as an ordinary declaration. Line numbers are unchanged (columns shift only after the
 * inserted word); everything else in the file is parsed as written.
 */
export const BICEPPARAM_TYPE_PLACEHOLDER = '__bicepparam';

export function normaliseBicepparam(source: string): string {
  return source.replace(/^([ \t]*param[ \t]+[A-Za-z_][A-Za-z0-9_]*)([ \t]*=)/gm, `$1 ${BICEPPARAM_TYPE_PLACEHOLDER}$2`);
}

/** ERROR and MISSING nodes of a parsed file, with 1-based positions. */
export function syntaxProblems(file: ParsedFile): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const visit = (node: SyntaxNode): void => {
    if (node.isMissing) {
      problems.push({
        file: file.relPath,
        line: node.startPosition.row + 1,
        column: node.startPosition.column + 1,
        kind: 'MISSING',
        message: `missing ${node.type}`,
      });
    } else if (node.type === 'ERROR') {
      problems.push({
        file: file.relPath,
        line: node.startPosition.row + 1,
        column: node.startPosition.column + 1,
        kind: 'ERROR',
        message: `cannot parse: ${node.text.split('\n')[0]?.slice(0, 80) ?? ''}`,
      });
    }
    for (const child of node.children) visit(child);
  };
  visit(file.root);
  return problems;
}
