import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startConsoleEnv, type ConsoleEnv } from './harness';

/** The console's team screens against a real gateway on PostgreSQL + Redis. */
describe('console: teams', () => {
  let env: ConsoleEnv;
  before(async () => {
    env = await startConsoleEnv();
  });
  after(async () => {
    await env?.stop();
  });

  test('create a team, add a member, remove them (confirmed); a duplicate name shows its error', async () => {
    const dev = await env.createUser('dev-team@example.test', { tenantId: env.tenantId, role: 'developer' });
    const page = await env.newPage();
    await env.signIn(page, env.admin, '/teams');
    await page.waitForSelector('h1#teams-title');
    await page.fill('[data-testid=team-name]', 'Platform');
    await page.click('[data-testid=team-create]');
    await page.waitForSelector('[data-testid=team-table] tr[data-team=Platform]');
    await page.fill('[data-testid=team-name]', 'Platform');
    await page.click('[data-testid=team-create]');
    await page.waitForSelector('[role=alert]:has-text("already exists")');
    await env.checkA11y(page, 'teams list');

    await page.click('[data-testid=team-table] a:has-text("Platform")');
    await page.waitForSelector('h1#team-title:has-text("Platform")');
    await page.click('[data-testid=team-add-member]');
    await page.click(`mat-option:has-text("${dev.email}")`);
    await page.waitForSelector(`[data-testid=team-members] tr[data-member="${dev.email}"]`);
    const member = await env.api<{ team_id: string | null }>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/members/${dev.id}`,
    );
    assert.ok(member.team_id, 'the member is in the team on the server');
    await env.checkA11y(page, 'team detail');
    await page.click(`tr[data-member="${dev.email}"] button:has-text("Remove")`);
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector(`tr[data-member="${dev.email}"]`, { state: 'detached' });
    const after = await env.api<{ team_id: string | null }>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/members/${dev.id}`,
    );
    assert.equal(after.team_id, null);
    assert.deepEqual(env.pageErrors, []);
  });
});
