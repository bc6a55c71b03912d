import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SCOPES } from '@aihub/core/plugin-api';
import { UniqueConstraintError } from 'sequelize';
import { KEY_FORMAT_HELP, parseApiKey } from './keyFormat';
import type { StateRow } from './models';
import type { AuthRuntime } from './runtime';

const STATE = 'bootstrap';
/** A claim older than this belongs to an instance that died mid-bootstrap; another may take over. */
const STALE_MS = 60_000;
const WAIT_MS = 30_000;

interface BootstrapState {
  status: 'running' | 'done' | 'skipped';
  at: number;
  owner: string;
}

export interface BootstrapResult {
  status: 'created' | 'already-done' | 'skipped' | 'disabled' | 'key-added';
  email?: string;
  password?: string;
  tenantId?: string;
  key?: string;
  keyId?: string;
}

/** Validates AIHUB_BOOTSTRAP_ADMIN_KEY / bootstrap.adminKey before anything is written. */
export function bootstrapKeyFrom(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!parseApiKey(value.trim())) {
    throw new Error(`AIHUB_BOOTSTRAP_ADMIN_KEY (auth.bootstrap.adminKey) is not a valid key: ${KEY_FORMAT_HELP}`);
  }
  return value.trim();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * First start against an empty database: a platform superadmin (random password), the default tenant
 * (the superadmin is its owner) and a superadmin API key with every scope. Two instances starting at
 * once race for one row (primary key): the winner bootstraps, the loser waits for it to finish.
 */
export async function runBootstrap(rt: AuthRuntime, env: NodeJS.ProcessEnv = process.env): Promise<BootstrapResult> {
  const cfg = rt.ctx.config.bootstrap;
  if (!cfg.enabled) return { status: 'disabled' };
  const presetKey = bootstrapKeyFrom(cfg.adminKey ?? env.AIHUB_BOOTSTRAP_ADMIN_KEY);
  const email = (cfg.adminEmail ?? env.AIHUB_BOOTSTRAP_ADMIN_EMAIL ?? 'admin@aihub.local').trim().toLowerCase();
  const { State } = rt.models;
  const tenancy = rt.tenancy();
  const owner = randomBytes(8).toString('hex');

  const read = async (): Promise<BootstrapState | undefined> => {
    const row = (await State.findByPk(STATE, { raw: true })) as StateRow | null;
    return row?.value ? (JSON.parse(row.value) as BootstrapState) : undefined;
  };

  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const state = await read();
    if (state?.status === 'done')
      return presetKey ? applyPresetKey(rt, presetKey, email, cfg.tenantSlug) : { status: 'already-done' };
    if (state?.status === 'skipped') return { status: 'already-done' };
    if (!state) {
      if ((await tenancy.countUsers()) > 0) {
        // Users exist (created before this plugin ran): never add a second superadmin behind their back.
        await State.create({
          name: STATE,
          value: JSON.stringify({ status: 'skipped', at: Date.now(), owner }),
          updated_at: new Date(),
        }).catch(() => {});
        return { status: 'skipped' };
      }
      try {
        await State.create({
          name: STATE,
          value: JSON.stringify({ status: 'running', at: Date.now(), owner }),
          updated_at: new Date(),
        });
        break;
      } catch (err) {
        if (!(err instanceof UniqueConstraintError)) throw err;
      }
    } else if (Date.now() - state.at > STALE_MS) {
      const [taken] = await State.update(
        { value: JSON.stringify({ status: 'running', at: Date.now(), owner }), updated_at: new Date() },
        { where: { name: STATE, value: JSON.stringify(state) } },
      );
      if (taken === 1) break;
    }
    if (Date.now() > deadline)
      throw new Error('another instance started bootstrapping and did not finish within 30 s; restart once it is up');
    await sleep(200);
  }

  let tenant = await tenancy.getTenantBySlug(cfg.tenantSlug);
  tenant ??= await tenancy.createTenant({ name: 'Default', slug: cfg.tenantSlug });
  let user = await tenancy.findUserByEmail(email);
  let password: string | undefined;
  if (!user) {
    password = randomBytes(18).toString('base64url');
    user = await tenancy.createUser({ email, password, superadmin: true });
  }
  if (!(await tenancy.roleOf(user.id, tenant.id)))
    await tenancy.addMembership({ tenantId: tenant.id, userId: user.id, role: 'owner' });
  let key: string | undefined;
  let keyId: string | undefined;
  const existing = presetKey ? await rt.keys.findForAuth(parseApiKey(presetKey)!.id) : null;
  if (!existing) {
    const created = await rt.keys.create({
      tenantId: tenant.id,
      name: 'bootstrap superadmin key',
      userId: user.id,
      scopes: [...SCOPES],
      role: 'owner',
      superadmin: true,
      createdBy: 'bootstrap',
      presetKey,
    });
    key = created.key;
    keyId = created.record.id;
  }
  await State.update(
    { value: JSON.stringify({ status: 'done', at: Date.now(), owner }), updated_at: new Date() },
    { where: { name: STATE } },
  );
  await rt
    .audit()
    ?.record(null, {
      tenantId: tenant.id,
      action: 'auth.bootstrap',
      targetType: 'user',
      targetId: user.id,
      after: { email, tenant: tenant.slug, key_id: keyId ?? null },
    })
    .catch((err) => rt.ctx.logger.warn('could not audit the bootstrap', { err }));
  return { status: 'created', email, password, tenantId: tenant.id, key: presetKey ? undefined : key, keyId };
}

/**
 * AIHUB_BOOTSTRAP_ADMIN_KEY set on a later start (the README's tour after a first `npm start`): the
 * operator explicitly names a key, so it is added as another superadmin key of the bootstrap
 * superadmin when its id is new. An existing key is never replaced or changed, and nothing happens
 * when the bootstrap superadmin is gone or no longer a superadmin (that was someone's decision).
 */
async function applyPresetKey(
  rt: AuthRuntime,
  presetKey: string,
  email: string,
  tenantSlug: string,
): Promise<BootstrapResult> {
  const log = rt.ctx.logger;
  const parsed = parseApiKey(presetKey)!;
  if (await rt.keys.findForAuth(parsed.id)) return { status: 'already-done' };
  const tenancy = rt.tenancy();
  const user = await tenancy.findUserByEmail(email);
  const tenant = await tenancy.getTenantBySlug(tenantSlug);
  if (!user?.superadmin || !tenant) {
    log.warn(
      `AIHUB_BOOTSTRAP_ADMIN_KEY is set but was not applied: the bootstrap superadmin ${email} ${!user ? 'no longer exists' : !user.superadmin ? 'is no longer a superadmin' : `has no "${tenantSlug}" tenant`}; create keys through the admin API, or start on an empty data directory`,
      { key_id: parsed.id },
    );
    return { status: 'already-done' };
  }
  try {
    const created = await rt.keys.create({
      tenantId: tenant.id,
      name: 'bootstrap superadmin key (AIHUB_BOOTSTRAP_ADMIN_KEY)',
      userId: user.id,
      scopes: [...SCOPES],
      role: 'owner',
      superadmin: true,
      createdBy: 'bootstrap',
      presetKey,
    });
    await rt
      .audit()
      ?.record(null, {
        tenantId: tenant.id,
        action: 'auth.bootstrap_key',
        targetType: 'api_key',
        targetId: created.record.id,
        after: { key_id: created.record.id, user: email },
      })
      .catch((err) => log.warn('could not audit the bootstrap key', { err }));
    log.info(
      'AIHUB_BOOTSTRAP_ADMIN_KEY applied: added it as a superadmin key of the bootstrap superadmin (the database was bootstrapped earlier)',
      { key_id: created.record.id, user: email },
    );
    return { status: 'key-added', keyId: created.record.id, tenantId: tenant.id, email };
  } catch (err) {
    // Another instance added the same key at the same moment: it exists now, which is what was asked.
    if (err instanceof UniqueConstraintError) return { status: 'already-done' };
    throw err;
  }
}

/** The one-time credentials banner: straight to stdout, never through the JSON logger. */
export function printBootstrap(
  result: BootstrapResult,
  baseUrl: string,
  write: (s: string) => void = (s) => process.stdout.write(s),
): void {
  if (result.status !== 'created') return;
  const lines = [
    '',
    '================================================================================',
    ' AI Hub first start: credentials are shown ONCE. Store them now.',
    `   superadmin e-mail : ${result.email}`,
    `   password          : ${result.password ?? '(user existed already; password unchanged)'}`,
    `   default tenant id : ${result.tenantId}`,
    `   superadmin API key: ${result.key ?? (result.keyId ? `ahk_${result.keyId}_… (from AIHUB_BOOTSTRAP_ADMIN_KEY)` : '(kept the existing key)')}`,
    `   try: curl -H "Authorization: Bearer <key>" ${baseUrl}/admin/v1/tenants`,
    '================================================================================',
    '',
  ];
  write(lines.join('\n'));
}

/** Where the one-time credentials banner goes (see credentialsSink). */
export interface CredentialsSinkOptions {
  /** The gateway's data directory (core `dataDir`): the file lands there when no terminal is attached. */
  dataDir: string;
  /** Told where the file is (never the credentials themselves). */
  logger: { warn(message: string, meta?: Record<string, unknown>): void };
  /** Whether a person is watching (default: stderr is a TTY). */
  isTty?: boolean;
  /** The terminal writer (default: stderr, which a TTY shows but a log shipper never parses as JSON lines). */
  terminal?: (s: string) => void;
}

/**
 * A writer for printBootstrap that keeps secrets out of the log stream: on a terminal, straight to
 * it (stderr, not the JSON lines on stdout); without one (containers, systemd, CI: stdout and
 * stderr are collected as logs), once into `<dataDir>/bootstrap-credentials-<time>.txt` created with mode
 * 0600 (never overwritten), and a log line says where. Returns the writer and, for the file case,
 * the file's path.
 */
export function credentialsSink(options: CredentialsSinkOptions): { write: (s: string) => void; file?: string } {
  const tty = options.isTty ?? process.stderr.isTTY === true;
  if (tty) return { write: options.terminal ?? ((s) => process.stderr.write(s)) };
  // A name of its own per first start: an old file (another database's) is neither replaced nor a reason to fail.
  const file = path.resolve(
    options.dataDir,
    `bootstrap-credentials-${new Date().toISOString().replace(/[:.]/g, '-')}.txt`,
  );
  return {
    file,
    write(s) {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      // 'wx': fails rather than replacing credentials of an earlier start; 0600: the owner only.
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, s);
      } finally {
        closeSync(fd);
      }
      options.logger.warn(
        `first start: the superadmin credentials were written once to ${file} (mode 0600); read them, store them safely and delete the file`,
        { file },
      );
    },
  };
}
