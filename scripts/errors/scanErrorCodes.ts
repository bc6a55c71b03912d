/**
 * Finds every error code the sources raise, by reading their syntax trees (TypeScript's parser), so
 * the error tables can be checked against what the code really does:
 * - `new GatewayError(message, { code: 'x', status: 400 })`,
 * - the shorthands `errors.badRequest(message, 'x')` … (and their default codes when none is given),
 * - a table's own helper, `SomeErrors.create('x', …)`,
 * - any other object literal with both a string `code` and a numeric `status` (error shapes handed on).
 * A code that is not a string literal is reported as dynamic, so the check can say where.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** The status and default code of each `errors.*` shorthand (core/src/errors/GatewayError.ts). */
export const SHORTHANDS: Record<string, { status: number; codeArg: number | null; defaultCode: string }> = {
  badRequest: { status: 400, codeArg: 1, defaultCode: 'invalid_request' },
  unauthorized: { status: 401, codeArg: 1, defaultCode: 'invalid_api_key' },
  forbidden: { status: 403, codeArg: 1, defaultCode: 'permission_denied' },
  notFound: { status: 404, codeArg: 1, defaultCode: 'not_found' },
  conflict: { status: 409, codeArg: 1, defaultCode: 'conflict' },
  tooLarge: { status: 413, codeArg: null, defaultCode: 'request_too_large' },
  unavailable: { status: 503, codeArg: 1, defaultCode: 'service_unavailable' },
};

export interface CodeUse {
  code: string;
  /** The status the site answers with, when it says so literally. */
  status: number | null;
  /** `core` or the plugin's directory name. */
  scope: string;
  file: string;
  line: number;
  /** The site's message, as written (for drafting table entries). */
  message?: string;
}

export interface DynamicUse {
  scope: string;
  file: string;
  line: number;
  text: string;
}

/** Where the tables live: `core/src/errors/coreErrors.ts` and each plugin's `src/errors.ts`. */
export const TABLE_FILE = /^(core\/src\/errors\/coreErrors\.ts|plugins\/[^/]+\/src\/errors\.ts)$/;

const SKIP_DIRS = new Set(['node_modules', 'dist', 'data', 'test', 'bench']);

/** Source files (not tests, not tables) of core and every plugin, relative to `root`. */
export function sourceFiles(root: string): { scope: string; file: string }[] {
  const out: { scope: string; file: string }[] = [];
  const walk = (dir: string, scope: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        if (!SKIP_DIRS.has(name)) walk(full, scope);
      } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) {
        out.push({ scope, file: path.relative(root, full) });
      }
    }
  };
  walk(path.join(root, 'core', 'src'), 'core');
  for (const dir of readdirSync(path.join(root, 'plugins')).sort()) {
    const src = path.join(root, 'plugins', dir, 'src');
    try {
      if (statSync(src).isDirectory()) walk(src, dir);
    } catch {
      // not a plugin package
    }
  }
  return out;
}

function stringValue(node: ts.Node | undefined): string | undefined {
  if (!node) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  return undefined;
}

function numberValue(node: ts.Node | undefined): number | null {
  return node && ts.isNumericLiteral(node) ? Number(node.text) : null;
}

function property(obj: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of obj.properties) {
    if (
      ts.isPropertyAssignment(p) &&
      ((ts.isIdentifier(p.name) && p.name.text === name) || stringValue(p.name) === name)
    )
      return p.initializer;
  }
  return undefined;
}

/** Whether `expr` is a conditional/union of string literals; returns them. */
function literalAlternatives(expr: ts.Expression): string[] | undefined {
  const direct = stringValue(expr);
  if (direct !== undefined) return [direct];
  if (ts.isParenthesizedExpression(expr)) return literalAlternatives(expr.expression);
  if (ts.isConditionalExpression(expr)) {
    const a = literalAlternatives(expr.whenTrue);
    const b = literalAlternatives(expr.whenFalse);
    return a && b ? [...a, ...b] : undefined;
  }
  if (ts.isAsExpression(expr) || ts.isSatisfiesExpression(expr)) return literalAlternatives(expr.expression);
  return undefined;
}

/** Helpers with a `code` parameter that is not an error the gateway answers with. */
const NOT_ERROR_HELPERS = new Set([
  // The ai plugin's attempt log: the provider's own code, or what failed (breaker_open, timeout).
  'attemptOf',
]);

/** Functions declared in the file with a parameter named `code`: where it is, and `message` too. */
function helpersTakingCode(sf: ts.SourceFile): Map<string, { code: number; message?: number }> {
  const out = new Map<string, { code: number; message?: number }>();
  const consider = (name: string, params: ts.NodeArray<ts.ParameterDeclaration>) => {
    if (NOT_ERROR_HELPERS.has(name)) return;
    const names = params.map((p) => (ts.isIdentifier(p.name) ? p.name.text : ''));
    const code = names.indexOf('code');
    if (code === -1) return;
    const message = names.indexOf('message');
    out.set(name, { code, message: message === -1 ? undefined : message });
  };
  const visit = (node: ts.Node) => {
    if (ts.isFunctionDeclaration(node) && node.name) consider(node.name.text, node.parameters);
    else if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
    ) {
      consider(node.name.text, node.initializer.parameters);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/**
 * Whether `expr` is the `code` parameter of a helper found by {@link helpersTakingCode}: its callers'
 * literal codes are counted at the call sites, so the helper's own use of the parameter is not dynamic.
 */
function isHelperCodeParam(expr: ts.Expression, helpers: Map<string, { code: number }>): boolean {
  if (!ts.isIdentifier(expr) || expr.text !== 'code') return false;
  for (let n: ts.Node | undefined = expr.parent; n; n = n.parent) {
    if (ts.isFunctionDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)) {
      if (!n.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === 'code')) continue;
      const name = ts.isFunctionDeclaration(n)
        ? n.name?.text
        : ts.isVariableDeclaration(n.parent) && ts.isIdentifier(n.parent.name)
          ? n.parent.name.text
          : undefined;
      return name !== undefined && helpers.has(name);
    }
  }
  return false;
}

/** Scans the given files for error codes. */
export function scanErrorCodes(root: string, files = sourceFiles(root)): { uses: CodeUse[]; dynamic: DynamicUse[] } {
  const uses: CodeUse[] = [];
  const dynamic: DynamicUse[] = [];
  for (const { scope, file } of files) {
    // The tables declare codes; they don't use them.
    if (TABLE_FILE.test(file)) continue;
    const text = readFileSync(path.join(root, file), 'utf8');
    if (!/code|errors\./i.test(text)) continue;
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
    const messageOf = (n: ts.Node | undefined) => n?.getText(sf).replace(/^[`'"]|[`'"]$/g, '');
    const record = (
      expr: ts.Expression | undefined,
      status: number | null,
      at: ts.Node,
      fallback?: string,
      msg?: ts.Node,
    ) => {
      const message = messageOf(msg);
      if (!expr) {
        if (fallback) uses.push({ code: fallback, status, scope, file, line: lineOf(at), message });
        return;
      }
      const codes = literalAlternatives(expr);
      if (codes) for (const code of codes) uses.push({ code, status, scope, file, line: lineOf(at), message });
      else if (!isHelperCodeParam(expr, codeParams))
        dynamic.push({ scope, file, line: lineOf(at), text: expr.getText(sf).slice(0, 80) });
    };
    const codeParams = helpersTakingCode(sf);
    // Option objects already read as part of a `new GatewayError(…)`.
    const handled = new Set<ts.Node>();
    const visit = (node: ts.Node) => {
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'GatewayError') {
        const opts = node.arguments?.[1];
        if (opts && ts.isObjectLiteralExpression(opts)) {
          record(property(opts, 'code'), numberValue(property(opts, 'status')), node, undefined, node.arguments?.[0]);
          handled.add(opts);
        } else if (opts) dynamic.push({ scope, file, line: lineOf(node), text: opts.getText(sf).slice(0, 80) });
      } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
        const target = node.expression.expression;
        const name = node.expression.name.text;
        if (ts.isIdentifier(target) && target.text === 'errors' && SHORTHANDS[name]) {
          const s = SHORTHANDS[name];
          const arg = s.codeArg === null ? undefined : node.arguments[s.codeArg];
          const isUndefined = arg !== undefined && ts.isIdentifier(arg) && arg.text === 'undefined';
          record(isUndefined ? undefined : arg, s.status, node, s.defaultCode, node.arguments[0]);
        } else if (ts.isIdentifier(target) && /Errors$/.test(target.text) && name === 'create') {
          record(node.arguments[0], null, node, undefined, node.arguments[1]);
        }
      } else if (
        ts.isCallExpression(node) &&
        ts.isIdentifier(node.expression) &&
        codeParams.has(node.expression.text)
      ) {
        // A helper of this file that takes a `code` parameter (a stream's errorEvent(message, code),
        // an ingest validator's fail(path, code, message)): its literal argument there is a code.
        const { code, message } = codeParams.get(node.expression.text)!;
        const arg = node.arguments[code];
        if (arg && !ts.isIdentifier(arg) && arg.kind !== ts.SyntaxKind.NullKeyword)
          record(arg, null, node, undefined, message === undefined ? undefined : node.arguments[message]);
      } else if (ts.isObjectLiteralExpression(node) && !handled.has(node)) {
        // Any other error shape: a literal snake_case `code` (zod issues, which carry a `path`, are not errors we answer with).
        const code = stringValue(property(node, 'code'));
        if (code !== undefined && /^[a-z][a-z0-9_]*$/.test(code) && code !== 'custom' && !property(node, 'path')) {
          record(
            property(node, 'code'),
            numberValue(property(node, 'status')),
            node,
            undefined,
            property(node, 'message'),
          );
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { uses, dynamic };
}
