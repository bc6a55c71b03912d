import type { Dialect } from '../types';
import { at, checkProperty, propertyParam, propertySql, TS } from './dialect';

/** Builds `WHERE` clauses with bound parameters, always starting with the tenant and time range. */
export class Filters {
  readonly bind: unknown[] = [];
  private readonly parts: string[] = [];

  constructor(
    private readonly dialect: Dialect,
    tenantId: string,
    range?: { from: number; to: number },
  ) {
    this.eq('tenant_id', tenantId);
    if (range) {
      this.bind.push(new Date(range.from).toISOString(), new Date(range.to).toISOString());
      this.parts.push(`${TS} >= ${at(dialect, this.bind.length - 1)}`, `${TS} < ${at(dialect, this.bind.length)}`);
    }
  }

  /** Adds a parameter; returns its placeholder. */
  param(value: unknown): string {
    this.bind.push(value);
    return `$${this.bind.length}`;
  }

  eq(column: string, value: string | undefined): this {
    if (value !== undefined) this.parts.push(`${column} = ${this.param(value)}`);
    return this;
  }

  in(column: string, values: string[]): this {
    this.parts.push(`${column} IN (${values.map((v) => this.param(v)).join(', ')})`);
    return this;
  }

  /** `property.<name>=<value>` filters: the property's value, as text, equals the given text. */
  properties(filters: Record<string, string>): this {
    for (const [name, value] of Object.entries(filters)) {
      const path = this.param(propertyParam(this.dialect, checkProperty(name, `property.${name}`)));
      this.parts.push(`${propertySql(this.dialect, path)} = ${this.param(value)}`);
    }
    return this;
  }

  raw(clause: string): this {
    this.parts.push(clause);
    return this;
  }

  get where(): string {
    return this.parts.join(' AND ');
  }
}

/** Collects `property.<name>` query parameters. */
export function propertyFilters(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    if (!k.startsWith('property.')) continue;
    const value = Array.isArray(v) ? v[v.length - 1] : v;
    if (typeof value === 'string') out[k.slice('property.'.length)] = value;
  }
  return out;
}
