import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { StackedTable } from './stacked-table';

@Component({
  imports: [StackedTable],
  template: `
    <table appStackedTable>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col" class="mat-column-role">Role <span>(tenant)</span></th>
          <th scope="col"></th>
        </tr>
      </thead>
      <tbody>
        @for (r of rows(); track r) {
          <tr>
            <th scope="row">{{ r }}</th>
            <td class="mat-column-role">viewer</td>
            <td class="actions"><button type="button">Remove</button></td>
          </tr>
        }
      </tbody>
    </table>
  `,
})
class Host {
  readonly rows = signal(['ada@example.test']);
}

async function render() {
  const fixture = TestBed.createComponent(Host);
  await fixture.whenStable();
  return { fixture, table: fixture.nativeElement.querySelector('table') as HTMLTableElement };
}

const labels = (table: HTMLTableElement) =>
  [...table.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.getAttribute('data-label')));

describe('StackedTable', () => {
  it("labels each body cell with its column's header text and states the table roles", async () => {
    const { table } = await render();
    expect(table.classList).toContain('stacked-table');
    expect(table.getAttribute('role')).toBe('table');
    // The role column found by its mat-column class; an empty header (actions) gives no label.
    expect(labels(table)).toEqual([['Name', 'Role (tenant)', null]]);
    const row = table.tBodies[0].rows[0];
    expect(row.getAttribute('role')).toBe('row');
    expect([...row.cells].map((c) => c.getAttribute('role'))).toEqual(['rowheader', 'cell', 'cell']);
    expect([...table.tHead!.rows[0].cells].map((c) => c.getAttribute('role'))).toEqual([
      'columnheader',
      'columnheader',
      'columnheader',
    ]);
  });

  it('labels rows added later', async () => {
    const { fixture, table } = await render();
    fixture.componentInstance.rows.set(['ada@example.test', 'grace@example.test']);
    await fixture.whenStable();
    // The MutationObserver runs as a microtask after the DOM change.
    await new Promise((r) => setTimeout(r));
    expect(labels(table)).toEqual([
      ['Name', 'Role (tenant)', null],
      ['Name', 'Role (tenant)', null],
    ]);
  });
});
