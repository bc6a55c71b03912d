import { Injectable, inject, signal } from '@angular/core';
import type { paths } from '../../../api/schema';
import { ApiClient } from '../../../core/api/api-client';
import { ifMatch } from './alias-form';

/** The catalog answer (GET /admin/v1/ai/catalog and every change). */
export type Catalog = paths['/admin/v1/ai/catalog']['get']['responses'][200]['content']['application/json'];
export type CatalogEntry = Catalog['models'][number];
export type Section = 'providers' | 'models' | 'experiments' | 'pricing';
export type Revision =
  paths['/admin/v1/ai/catalog/revisions']['get']['responses'][200]['content']['application/json']['revisions'][number];
export type RevisionDiff =
  paths['/admin/v1/ai/catalog/revisions/{revision}/diff']['get']['responses'][200]['content']['application/json'];

/**
 * The live catalog as this screen last read it, and every change to it: each change is sent with
 * `If-Match` of the revision read (so an edit made behind the screen's back answers 412 instead of
 * being overwritten), and its answer — the catalog after the change — becomes the state.
 */
@Injectable()
export class CatalogState {
  private readonly api = inject(ApiClient);
  readonly catalog = signal<Catalog | null>(null);
  /** Bumped after every stored change (revisions list, models table reload). */
  readonly changes = signal(0);

  async load(): Promise<Catalog> {
    const c = await this.api.call(this.api.client.GET('/admin/v1/ai/catalog'));
    this.catalog.set(c);
    return c;
  }

  private get revision(): string {
    return ifMatch(this.catalog()?.revision ?? 0);
  }

  async put(section: Section, name: string, body: Record<string, unknown>): Promise<void> {
    this.stored(
      await this.api.call(
        this.api.client.PUT('/admin/v1/ai/catalog/{section}/{name}', {
          params: { path: { section, name } },
          body,
          headers: { 'if-match': this.revision },
        }),
      ),
    );
  }

  async remove(section: Section, name: string): Promise<void> {
    this.stored(
      await this.api.call(
        this.api.client.DELETE('/admin/v1/ai/catalog/{section}/{name}', {
          params: { path: { section, name } },
          headers: { 'if-match': this.revision },
        }),
      ),
    );
  }

  /** `control`: keep the operational control state of now, or restore the revision's too. */
  async rollback(revision: number, control: 'keep' | 'restore'): Promise<void> {
    this.stored(
      await this.api.call(
        this.api.client.POST('/admin/v1/ai/catalog/revisions/{revision}/rollback', {
          params: { path: { revision: String(revision) } },
          body: { control },
          headers: { 'if-match': this.revision },
        }),
      ),
    );
  }

  revisions(): Promise<{ revisions: Revision[] }> {
    return this.api.call(this.api.client.GET('/admin/v1/ai/catalog/revisions', { params: { query: { limit: 50 } } }));
  }

  /** What `revision` changed against the one before it, or against revision `from`. */
  diff(revision: number, from?: number): Promise<RevisionDiff> {
    return this.api.call(
      this.api.client.GET('/admin/v1/ai/catalog/revisions/{revision}/diff', {
        params: { path: { revision: String(revision) }, query: from === undefined ? {} : { from } },
      }),
    );
  }

  private stored(c: Catalog): void {
    this.catalog.set(c);
    this.changes.update((n) => n + 1);
  }
}
