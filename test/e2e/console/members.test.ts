import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startConsoleEnv, type ConsoleEnv } from './harness';

interface AuditRow {
  action: string;
  actor_id: string | null;
  target_type: string;
  target_id: string | null;
}

/**
 * The members, invitations and invitation-accept screens against a real gateway on PostgreSQL +
 * Redis: an admin invites a new address, the invited person joins from the link in a fresh browser,
 * the admin promotes them and their navigation follows; every step is in the audit log.
 */
describe('console: members and invitations', () => {
  let env: ConsoleEnv;
  before(async () => {
    env = await startConsoleEnv();
  });
  after(async () => {
    await env?.stop();
  });

  const audit = async (action: string): Promise<AuditRow[]> =>
    (
      await env.api<{ data: AuditRow[] }>(
        'GET',
        `/admin/v1/tenants/${env.tenantId}/audit?action=${encodeURIComponent(action)}&limit=50`,
      )
    ).data;

  test('invite → accept link shown once → the new user creates an account, signs in, and a role change shows in their navigation', async () => {
    const newEmail = 'invited-newcomer@example.test';
    const admin = await env.createUser('members-admin@example.test', { tenantId: env.tenantId, role: 'admin' });
    const page = await env.newPage();
    await env.signIn(page, admin, '/members');
    await page.waitForSelector('h1#members-title');
    await page.waitForSelector(`[data-testid=member-table] tr[data-member="${admin.email}"]`);
    await env.checkA11y(page, 'members list');

    // Invite: the form, then the accept link in the secret-shown-once dialog.
    await page.click('[data-testid=member-invite]');
    await page.fill('[data-testid=invite-email]', newEmail);
    await page.click('[data-testid=invite-role]');
    await page.click('mat-option:has-text("Viewer")');
    await env.checkA11y(page, 'invite dialog');
    await page.click('[data-testid=invite-send]');
    const link = (await page.locator('[data-testid=secret-value]').innerText()).trim();
    // The real shape: the configured public URL (tenancy.invitations.publicUrl), the console path, the token.
    assert.match(link, /\/admin\/invite\?token=[^&\s]+$/, link);
    assert.ok(link.startsWith(env.consoleUrl('/invite?token=')), `the link opens on the gateway's public URL: ${link}`);
    await env.checkA11y(page, 'invitation link dialog');
    await page.click('mat-dialog-container button:has-text("I have stored it")');
    await page.waitForSelector('[data-testid=secret-value]', { state: 'detached' });

    // The pending invitation is listed (status in the URL); never its token.
    await env.navigate(page, '/invitations?status=pending');
    await page.waitForSelector(`[data-testid=invitation-table] tr[data-invitation="${newEmail}"]`);
    const token = new URL(link).searchParams.get('token') ?? '';
    assert.ok(token.length > 10);
    assert.ok(!(await page.content()).includes(token), 'the invitations list never shows the token');
    await env.checkA11y(page, 'invitations list');
    const [created] = await audit('invitation.create');
    assert.equal(created?.actor_id, admin.id, 'invitation.create is audited with the admin as actor');

    // The invited person opens the link, as given, in a fresh browser (no session): the public accept page.
    const guest = await env.newPage();
    await guest.goto(link);
    await guest.waitForSelector('[data-testid=invite-title]');
    const intro = await guest.locator('[data-testid=invite-intro]').innerText();
    assert.ok(intro.includes(newEmail) && /viewer/i.test(intro), intro);
    assert.equal(await guest.locator('[data-testid=nav]').count(), 0, 'the accept page is outside the signed-in shell');
    await env.checkA11y(guest, 'invitation accept page');
    await guest.fill('[data-testid=invite-name]', 'New Comer');
    // A refused password shows next to the field (problem+json → field error); the token is not spent.
    await guest.fill('[data-testid=invite-password]', 'short');
    await guest.click('[data-testid=invite-create]');
    await guest.waitForSelector(':is(mat-error, [data-testid=accept-error]):has-text("characters")');
    await guest.fill('[data-testid=invite-password]', 'newcomer-password-1');
    await Promise.all([
      guest.waitForURL(/\/oauth\/interaction\//, { timeout: 20_000 }),
      guest.click('[data-testid=invite-create]'),
    ]);
    // The account exists now: the new user signs in and lands on the console of the tenant.
    assert.equal(await guest.inputValue('#email'), newEmail, 'the sign-in page is prefilled with the invited address');
    await guest.fill('#password', 'newcomer-password-1');
    await Promise.all([
      guest.waitForURL((u) => u.pathname.startsWith('/admin/') && !u.pathname.startsWith('/admin/callback'), {
        timeout: 20_000,
      }),
      guest.click('button[type=submit]'),
    ]);
    await guest.waitForSelector('[data-testid=nav]', { timeout: 20_000 });
    const nav = () =>
      guest.locator('[data-testid=nav] a').evaluateAll((as) => as.map((a) => a.getAttribute('data-nav')));
    let entries = await nav();
    assert.ok(
      entries.includes('home') && !entries.includes('members') && !entries.includes('audit'),
      `a viewer's navigation: ${entries}`,
    );
    const [accepted] = await audit('invitation.accept');
    assert.equal(accepted?.target_id, created?.target_id, 'invitation.accept is audited for the same invitation');

    // The admin sees the new member and promotes them (viewer → admin: no owner change, no confirm).
    await env.navigate(page, '/members');
    const row = `[data-testid=member-table] tr[data-member="${newEmail}"]`;
    await page.waitForSelector(row);
    await page.click(`[data-testid="role-${newEmail}"]`);
    await page.click('mat-option:has-text("Admin")');
    const members = await env.api<{ data: { email: string; role: string; user_id: string }[] }>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/members?limit=100`,
    );
    const newcomer = members.data.find((m) => m.email === newEmail);
    assert.ok(newcomer, 'the invited address is a member');
    await waitFor(
      async () =>
        (await env.api<{ role: string }>('GET', `/admin/v1/tenants/${env.tenantId}/members/${newcomer.user_id}`))
          .role === 'admin',
      'the role change reaches the server',
    );
    const updates = await audit('member.update');
    assert.ok(
      updates.some((u) => u.target_id === newcomer.user_id && u.actor_id === admin.id),
      'member.update is audited',
    );

    // Their navigation follows after a reload (a new token carries the new role).
    await guest.reload();
    await guest.waitForSelector('[data-testid=nav] a[data-nav=members]', { timeout: 20_000 });
    entries = await nav();
    assert.ok(
      entries.includes('members') && entries.includes('audit') && !entries.includes('tenants'),
      `an admin's navigation: ${entries}`,
    );

    // A refusal appears next to the action it concerns: an admin may not make someone an owner.
    await page.click(`[data-testid="role-${newEmail}"]`);
    await page.click('mat-option:has-text("Owner")');
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector(`[data-testid="member-error-${newEmail}"]`);
    assert.equal(
      (await env.api<{ role: string }>('GET', `/admin/v1/tenants/${env.tenantId}/members/${newcomer.user_id}`)).role,
      'admin',
    );
    assert.deepEqual(env.pageErrors, []);
  });

  test('an address with an account signs in to accept: back on the page the invitation is accepted and the console opens in the tenant', async () => {
    const other = await env.api<{ id: string }>('POST', '/admin/v1/tenants', { name: 'Elsewhere', slug: 'elsewhere' });
    const existing = await env.createUser('has-account@example.test', { tenantId: other.id, role: 'developer' });
    const inv = await env.api<{ id: string; token: string; accept_url: string }>(
      'POST',
      `/admin/v1/tenants/${env.tenantId}/invitations`,
      { email: existing.email, role: 'developer' },
    );
    const guest = await env.newPage();
    await guest.goto(inv.accept_url);
    await guest.waitForSelector('[data-testid=invite-title]');
    // Creating an account for an address that has one is refused: the page offers sign-in instead.
    await guest.fill('[data-testid=invite-password]', 'whatever-password-1');
    await guest.click('[data-testid=invite-create]');
    await guest.waitForSelector('[data-testid=invite-exists]');
    await Promise.all([
      guest.waitForURL(/\/oauth\/interaction\//, { timeout: 20_000 }),
      guest.click('[data-testid=invite-signin]'),
    ]);
    await guest.fill('#email', existing.email);
    await guest.fill('#password', existing.password);
    await Promise.all([guest.waitForURL(/\/admin\/home/, { timeout: 30_000 }), guest.click('button[type=submit]')]);
    await guest.waitForSelector('[data-testid=nav]', { timeout: 20_000 });
    const member = await env.api<{ role: string }>('GET', `/admin/v1/tenants/${env.tenantId}/members/${existing.id}`);
    assert.equal(member.role, 'developer', 'the signed-in user joined the inviting tenant');
    assert.ok(
      (await audit('invitation.accept')).some((a) => a.target_id === inv.id && a.actor_id === existing.id),
      'invitation.accept is audited with the user as actor',
    );
    assert.deepEqual(env.pageErrors, []);
  });

  test('revoke a pending invitation (confirmed); its link then says it cannot be used', async () => {
    const email = 'to-revoke@example.test';
    const inv = await env.api<{ id: string; token: string; accept_url: string }>(
      'POST',
      `/admin/v1/tenants/${env.tenantId}/invitations`,
      { email, role: 'developer' },
    );
    const page = await env.newPage();
    await env.signIn(page, env.admin, '/invitations');
    const row = `[data-testid=invitation-table] tr[data-invitation="${email}"]`;
    await page.waitForSelector(row);
    await page.click(`${row} button:has-text("Revoke")`);
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector(row, { state: 'detached' });
    const revoked = await env.api<{ data: { id: string; status: string }[] }>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/invitations?status=revoked`,
    );
    assert.ok(
      revoked.data.some((i) => i.id === inv.id),
      'the server has it revoked',
    );
    assert.ok(
      (await audit('invitation.revoke')).some((a) => a.target_id === inv.id),
      'invitation.revoke is audited',
    );
    // The status filter lives in the URL.
    await env.navigate(page, '/invitations?status=revoked');
    await page.waitForSelector(row);

    const guest = await env.newPage();
    await guest.goto(inv.accept_url);
    await guest.waitForSelector('[data-testid=invite-error]');
    await env.checkA11y(guest, 'accept page with a spent token');
    assert.deepEqual(env.pageErrors, []);
  });
});

/** Polls `check` until it holds (no fixed sleeps): fails after `timeoutMs`. */
async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting: ${what}`);
}
