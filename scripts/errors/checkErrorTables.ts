/**
 * Loads the error tables (core's and each plugin's `src/errors.ts`) and checks them against the codes
 * the sources raise: every raised code is in a table, every table entry is raised somewhere, a
 * plugin raises only its own codes or core's shared ones, and literal statuses match the table.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ErrorSpec, ErrorTable } from '@aihub/core/plugin-api';
import { scanErrorCodes, sourceFiles, type CodeUse } from './scanErrorCodes';

export interface LoadedTable {
  /** `core` or the plugin's directory name. */
  dir: string;
  file: string;
  table: ErrorTable;
}

function isTable(v: unknown): v is ErrorTable {
  const t = v as ErrorTable | undefined;
  return (
    !!t &&
    typeof t === 'object' &&
    typeof t.scope === 'string' &&
    typeof t.entries === 'object' &&
    typeof t.create === 'function'
  );
}

/** Every error table under `root`, core's first, then plugins by directory name. */
export function loadErrorTables(root: string): LoadedTable[] {
  const files: { dir: string; file: string }[] = [
    { dir: 'core', file: path.join('core', 'src', 'errors', 'coreErrors.ts') },
  ];
  for (const dir of readdirSync(path.join(root, 'plugins')).sort()) {
    const file = path.join('plugins', dir, 'src', 'errors.ts');
    if (existsSync(path.join(root, file))) files.push({ dir, file });
  }
  const out: LoadedTable[] = [];
  for (const { dir, file } of files) {
    const mod = require(path.join(root, file)) as Record<string, unknown>;
    for (const value of Object.values(mod)) if (isTable(value)) out.push({ dir, file, table: value });
  }
  return out;
}

/**
 * Sites whose code is not a literal, each with the codes it can produce (so they count as raised).
 * A new dynamic site fails the check until it is listed here with its codes.
 */
export const DYNAMIC_SITES: { file: string; text: string; codes: string[]; why: string }[] = [
  {
    file: 'core/src/contracts/planBounds.ts',
    text: 's.code',
    codes: [],
    why: 'SUBJECT_NOUN codes, each a literal the scan already counts',
  },
  {
    file: 'core/src/errors/GatewayError.ts',
    text: 'typeof e.code',
    codes: ['bad_request'],
    why: "GatewayError.from keeps an HTTP framework error's own code",
  },
  {
    file: 'core/src/http/listeners.ts',
    text: 'err.code',
    codes: [],
    why: "the metrics listener answers with unauthorizedScrape()'s code",
  },
  {
    file: 'plugins/ai/src/engine/StreamRelay.ts',
    text: 'reason.code',
    codes: [],
    why: 'stop reasons, each a literal the scan already counts',
  },
  {
    file: 'plugins/ai/src/engine/errors.ts',
    text: 'typeof b?.code',
    codes: ['upstream_invalid_request'],
    why: "a provider's 4xx passes its own code on",
  },
  {
    file: 'plugins/behavior/src/ingest/events.ts',
    text: 'bad.code',
    codes: ['nul_character', 'lone_surrogate', 'non_finite_number', 'too_deep'],
    why: "findUnstorable()'s codes",
  },
  {
    file: 'plugins/behavior/src/ingest/events.ts',
    text: '`invalid_${field}`',
    codes: ['invalid_properties', 'invalid_traits', 'invalid_context'],
    why: 'one code per object field',
  },
];

/** Problems found, each a sentence saying what to fix; empty when tables and sources agree. */
export function checkErrorTables(root: string, tables = loadErrorTables(root), files = sourceFiles(root)): string[] {
  const problems: string[] = [];
  const owner = new Map<string, { dir: string; spec: ErrorSpec }>();
  for (const { dir, file, table } of tables) {
    if (table.scope !== dir)
      problems.push(
        `${file} declares its table as '${table.scope}'; name it '${dir}' (its ${dir === 'core' ? 'package' : 'plugin directory'}).`,
      );
    for (const [code, spec] of Object.entries(table.entries)) {
      const prev = owner.get(code);
      if (prev)
        problems.push(
          `'${code}' is declared by both ${prev.dir} and ${dir}; keep one (a code shared by plugins belongs in core's table).`,
        );
      else owner.set(code, { dir, spec });
    }
  }

  for (const [code, { dir, spec }] of owner) {
    if (spec.sameAs !== undefined && !owner.has(spec.sameAs))
      problems.push(
        `'${code}' in ${dir}'s error table says it means the same as '${spec.sameAs}', which no table declares; name a declared code.`,
      );
  }

  const { uses, dynamic } = scanErrorCodes(root, files);
  const all: CodeUse[] = [...uses];
  for (const d of dynamic) {
    const known = DYNAMIC_SITES.find((s) => s.file === d.file && d.text.startsWith(s.text));
    if (!known) {
      problems.push(
        `${d.file}:${d.line} raises a code that is not a literal (${d.text}); use a literal code, or list the site and its codes in DYNAMIC_SITES (scripts/errors/checkErrorTables.ts).`,
      );
      continue;
    }
    for (const code of known.codes) all.push({ code, status: null, scope: d.scope, file: d.file, line: d.line });
  }

  const used = new Map<string, Set<string>>();
  for (const u of all) {
    const o = owner.get(u.code);
    const at = `${u.file}:${u.line}`;
    if (!o) {
      const home = u.scope === 'core' ? 'core/src/errors/coreErrors.ts' : `plugins/${u.scope}/src/errors.ts`;
      problems.push(
        `${at} raises '${u.code}', which no error table declares; add it to ${home} (core's table if other plugins raise it too).`,
      );
      continue;
    }
    if (o.dir !== 'core' && o.dir !== u.scope) {
      problems.push(
        `${at} raises '${u.code}' from ${o.dir}'s table; a plugin raises its own codes or core's shared ones: move '${u.code}' to core/src/errors/coreErrors.ts.`,
      );
    }
    const statuses = [o.spec.status, ...(o.spec.otherStatuses ?? [])];
    if (u.status !== null && !statuses.includes(u.status)) {
      problems.push(
        `${at} raises '${u.code}' with status ${u.status}, but its table says ${statuses.join(' or ')}; fix the site or add the status to otherStatuses with the reason.`,
      );
    }
    (used.get(u.code) ?? used.set(u.code, new Set()).get(u.code)!).add(u.scope);
  }

  for (const [code, { dir }] of owner) {
    const scopes = used.get(code);
    if (!scopes)
      problems.push(
        `'${code}' in ${dir}'s error table is raised nowhere; remove the entry (or raise it where it applies).`,
      );
    else if (dir !== 'core' && !scopes.has(dir))
      problems.push(
        `'${code}' in ${dir}'s error table is raised only by ${[...scopes].join(', ')}; move it to that table or core's.`,
      );
  }
  return problems;
}
