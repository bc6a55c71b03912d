import { ChangeDetectionStrategy, Component, computed, inject, signal, type OnDestroy } from '@angular/core';
import { RouterLink } from '@angular/router';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { CONSOLE_CONFIG } from '../../core/console-config';
import { LanguageService } from '../../core/i18n/language.service';
import { SessionService } from '../../core/session/session.service';
import { formatMicros } from '../usage/money';
import { urlState } from '../../shared/list-page/url-state';
import { readChunk, SseParser, type ChunkView } from './sse';

/** The OpenAI-style error body of /v1: its message is what the user needs to fix. */
async function errorMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    return body.error?.message ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

/**
 * `/playground` (developer and up): a chat against the tenant's models, through `/v1` exactly as an
 * application calls it. The console's own token has no `ai:invoke` scope (its scopes are admin-only,
 * on purpose: a viewer's console session must not spend money), so the user pastes one of the
 * tenant's API keys; the key is the authorization (its allowed models, budgets and limits apply),
 * is kept in memory only (never in the URL or storage) and is forgotten when the page closes.
 * The model is in the URL. The stream is read with fetch + ReadableStream and parsed as SSE.
 */
@Component({
  selector: 'app-playground-page',
  imports: [
    FormsModule,
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    RouterLink,
    TranslocoDirective,
  ],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="pg-title">
      <div class="page-header">
        <h1 id="pg-title">{{ t('playground.title') }}</h1>
      </div>
      <p class="muted">{{ t('playground.intro') }}</p>

      <form
        class="toolbar-row"
        (submit)="$event.preventDefault(); loadModels()"
        [attr.aria-label]="t('playground.keyForm')"
      >
        <mat-form-field subscriptSizing="dynamic" class="grow">
          <mat-label>{{ t('playground.apiKey') }}</mat-label>
          <input matInput type="password" name="key" autocomplete="off" [(ngModel)]="key" data-testid="pg-key" />
        </mat-form-field>
        <button mat-stroked-button type="submit" [disabled]="!key || loadingModels()" data-testid="pg-load-models">
          {{ t('playground.loadModels') }}
        </button>
      </form>
      @if (modelsError(); as e) {
        <p class="error-text" role="alert" data-testid="pg-models-error">{{ e }}</p>
      }

      <form (submit)="$event.preventDefault(); send()" [attr.aria-label]="t('playground.chatForm')">
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('playground.model') }}</mat-label>
          <mat-select [value]="model()" (selectionChange)="pickModel($event.value)" data-testid="pg-model">
            @for (m of models(); track m) {
              <mat-option [value]="m">{{ m }}</mat-option>
            }
          </mat-select>
        </mat-form-field>
        <mat-form-field class="full" subscriptSizing="dynamic">
          <mat-label>{{ t('playground.message') }}</mat-label>
          <textarea matInput rows="4" name="message" [(ngModel)]="message" data-testid="pg-message"></textarea>
        </mat-form-field>
        <div class="toolbar-row">
          <button mat-flat-button type="submit" [disabled]="!canSend()" data-testid="pg-send">
            {{ t('playground.send') }}
          </button>
          @if (streaming()) {
            <button mat-stroked-button type="button" (click)="stop()">{{ t('playground.stop') }}</button>
          }
        </div>
      </form>

      <section class="block" aria-labelledby="pg-answer">
        <h2 id="pg-answer">{{ t('playground.answer') }}</h2>
        <div class="answer" aria-live="polite" [attr.aria-busy]="streaming()" data-testid="pg-output">
          {{ output() }}
        </div>
        @if (error(); as e) {
          <p class="error-text" role="alert" data-testid="pg-error">{{ e }}</p>
        }
        @if (done()) {
          <dl class="facts" data-testid="pg-facts">
            <div>
              <dt>{{ t('playground.requestId') }}</dt>
              <dd class="mono" data-testid="pg-request-id">{{ requestId() ?? '—' }}</dd>
            </div>
            <div>
              <dt>{{ t('playground.overhead') }}</dt>
              <dd data-testid="pg-overhead">{{ overhead() !== null ? overhead() + ' ms' : '—' }}</dd>
            </div>
            <div>
              <dt>{{ t('playground.tokens') }}</dt>
              <dd data-testid="pg-usage" [attr.data-total]="usage()?.total_tokens">
                @if (usage(); as u) {
                  {{
                    t('playground.usage', {
                      prompt: u.prompt_tokens,
                      completion: u.completion_tokens,
                      total: u.total_tokens,
                    })
                  }}
                } @else {
                  —
                }
              </dd>
            </div>
            @if (canExplore()) {
              <div>
                <dt>{{ t('playground.cost') }}</dt>
                <dd data-testid="pg-cost" [attr.data-micros]="recorded()?.cost_micros" [attr.aria-busy]="recording()">
                  @if (recorded(); as r) {
                    {{ r.priced ? money(r.cost_micros) : t('playground.unpriced') }}
                  } @else if (recording()) {
                    {{ t('playground.metering') }}
                  } @else {
                    —
                  }
                </dd>
              </div>
            }
          </dl>
          @if (canExplore() && requestId()) {
            <p>
              <a [routerLink]="['/requests']" [queryParams]="{ request: requestId() }" data-testid="pg-explorer-link">{{
                t('playground.openInExplorer')
              }}</a>
            </p>
          } @else {
            <p class="muted">{{ t('playground.costNote') }}</p>
          }
        }
      </section>
    </section>
  `,
  styles: `
    .grow {
      flex: 1 1 320px;
    }
    .full {
      width: 100%;
      margin-top: 8px;
    }
    .answer {
      white-space: pre-wrap;
      min-height: 4em;
      padding: 12px;
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 8px;
    }
    .facts {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(200px, 1fr));
      gap: 12px;
    }
    .facts dt {
      font: var(--mat-sys-label-medium);
      color: var(--mat-sys-on-surface-variant);
    }
    .facts dd {
      margin: 4px 0 0;
    }
    section.block {
      margin-top: 24px;
    }
    h2 {
      font: var(--mat-sys-title-medium);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PlaygroundPage implements OnDestroy {
  private readonly config = inject(CONSOLE_CONFIG);
  private readonly api = inject(ApiClient);
  private readonly session = inject(SessionService);
  private readonly lang = inject(LanguageService);
  /** The request's cost comes from its usage record (the explorer's detail route): usage readers only. */
  readonly canExplore = computed(() => this.session.can('usage:read'));
  readonly recorded = signal<{ cost_micros: number | null; priced: boolean } | null>(null);
  readonly recording = signal(false);
  readonly url = urlState({ model: '' });
  key = '';
  message = '';
  readonly models = signal<string[]>([]);
  readonly loadingModels = signal(false);
  readonly modelsError = signal<string | null>(null);
  readonly model = computed(() => this.url.state().model);
  readonly streaming = signal(false);
  readonly done = signal(false);
  readonly output = signal('');
  readonly error = signal<string | null>(null);
  readonly usage = signal<ChunkView['usage']>(null);
  readonly requestId = signal<string | null>(null);
  readonly overhead = signal<number | null>(null);
  private abort: AbortController | null = null;

  readonly canSend = computed(() => !this.streaming() && !!this.model());

  private v1(path: string): string {
    return `${location.origin}${this.config.apiBase}/v1${path}`;
  }

  async loadModels(): Promise<void> {
    this.loadingModels.set(true);
    this.modelsError.set(null);
    try {
      const res = await fetch(this.v1('/models'), { headers: { authorization: `Bearer ${this.key.trim()}` } });
      if (!res.ok) throw new Error(await errorMessage(res));
      const body = (await res.json()) as { data?: { id: string }[] };
      const ids = (body.data ?? []).map((m) => m.id).sort();
      this.models.set(ids);
      if (!ids.includes(this.model()) && ids.length) void this.url.patch({ model: ids[0] });
    } catch (err) {
      this.models.set([]);
      this.modelsError.set((err as Error).message);
    } finally {
      this.loadingModels.set(false);
    }
  }

  pickModel(model: string): void {
    void this.url.patch({ model });
  }

  stop(): void {
    this.abort?.abort();
  }

  async send(): Promise<void> {
    if (!this.canSend()) return;
    this.abort = new AbortController();
    this.streaming.set(true);
    this.done.set(false);
    this.output.set('');
    this.error.set(null);
    this.usage.set(null);
    this.requestId.set(null);
    this.overhead.set(null);
    this.recorded.set(null);
    try {
      const res = await fetch(this.v1('/chat/completions'), {
        method: 'POST',
        signal: this.abort.signal,
        headers: { authorization: `Bearer ${this.key.trim()}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: this.model(),
          messages: [{ role: 'user', content: this.message }],
          stream: true,
          stream_options: { include_usage: true },
        }),
      });
      this.requestId.set(res.headers.get('x-request-id'));
      const overhead = res.headers.get('x-aihub-overhead-ms');
      this.overhead.set(overhead === null ? null : Number(overhead));
      if (!res.ok || !res.body) throw new Error(await errorMessage(res));
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new SseParser();
      for (;;) {
        const { value, done } = await reader.read();
        const events = done ? parser.end() : parser.feed(value);
        for (const data of events) this.apply(readChunk(data));
        if (done) break;
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') this.error.set((err as Error).message);
    } finally {
      this.streaming.set(false);
      this.done.set(true);
      this.abort = null;
    }
    void this.loadCost(this.requestId());
  }

  money(micros: number | null): string {
    return formatMicros(micros, this.lang.current());
  }

  /**
   * The cost as metered: the usage record is written a moment after the answer (a queue between the
   * gateway and the store), so the detail route is asked a few times before giving up.
   */
  private async loadCost(requestId: string | null): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!requestId || !tenantId || !this.canExplore()) return;
    this.recording.set(true);
    try {
      for (let i = 0; i < 20 && this.requestId() === requestId; i++) {
        const res = await this.api.client.GET('/admin/v1/tenants/{tenantId}/requests/{requestId}', {
          params: { path: { tenantId, requestId } },
        });
        if (res.data) {
          if (this.requestId() === requestId)
            this.recorded.set({ cost_micros: res.data.cost_micros, priced: res.data.priced });
          return;
        }
        if (res.response.status !== 404) return;
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      this.recording.set(false);
    }
  }

  private apply(chunk: ChunkView): void {
    if (chunk.text) this.output.update((s) => s + chunk.text);
    if (chunk.usage) this.usage.set(chunk.usage);
    if (chunk.error) this.error.set(chunk.error);
  }

  ngOnDestroy(): void {
    this.abort?.abort();
    this.key = '';
  }
}
