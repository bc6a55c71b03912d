import { instantParam, type Sql } from '@aihub/core/plugin-api';
import { ruleSchema, type Rule } from './rules';

export interface StoredRule extends Rule {
  source: 'config' | 'api';
}

/** Rules from config (read-only) and from the admin API (a table, so every instance sees the same). */
export class RuleStore {
  constructor(
    private readonly sql: Sql,
    private readonly table: string,
    private readonly configRules: Rule[],
  ) {}

  isConfigRule(name: string): boolean {
    return this.configRules.some((r) => r.name === name);
  }

  async all(): Promise<StoredRule[]> {
    const rows = await this.sql.rows<{ name: string; definition: string }>(
      `SELECT name, definition FROM ${this.table} ORDER BY name`,
    );
    const api: StoredRule[] = [];
    for (const r of rows) {
      const parsed = ruleSchema.safeParse(JSON.parse(r.definition));
      // A row written by an older version that no longer parses is left out (and listed nowhere) rather than failing every evaluation.
      if (parsed.success) api.push({ ...parsed.data, source: 'api' });
    }
    return [...this.configRules.map((r) => ({ ...r, source: 'config' as const })), ...api];
  }

  async get(name: string): Promise<StoredRule | undefined> {
    return (await this.all()).find((r) => r.name === name);
  }

  /** Inserts or replaces an API rule; false when `create` and it exists. */
  async put(rule: Rule, actor: string | null, create: boolean): Promise<boolean> {
    const now = new Date().toISOString();
    const ts = instantParam(this.sql.dialect, 3);
    if (create) {
      const rows = await this.sql.rows(
        `INSERT INTO ${this.table} (name, definition, created_at, updated_at, updated_by) VALUES ($1, $2, ${ts}, ${ts}, $4) ON CONFLICT (name) DO NOTHING RETURNING name`,
        [rule.name, JSON.stringify(rule), now, actor],
      );
      return rows.length > 0;
    }
    const rows = await this.sql.rows(
      `UPDATE ${this.table} SET definition = $2, updated_at = ${ts}, updated_by = $4 WHERE name = $1 RETURNING name`,
      [rule.name, JSON.stringify(rule), now, actor],
    );
    return rows.length > 0;
  }

  async delete(name: string): Promise<boolean> {
    const rows = await this.sql.rows(`DELETE FROM ${this.table} WHERE name = $1 RETURNING name`, [name]);
    return rows.length > 0;
  }
}
