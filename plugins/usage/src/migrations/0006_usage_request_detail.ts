import type { Migration } from '@aihub/core/plugin-api';

export const migration: Migration = {
  name: '0006_usage_request_detail',
  async up({ queryInterface, table }) {
    // The request explorer: the gateway's own time, the trace, and every attempt (JSON, bounded to
    // MAX_RECORDED_ATTEMPTS) of each request. Older rows keep NULL/0: they were never measured.
    const t = table('records');
    await queryInterface.addColumn(t, 'overhead_ms', { type: 'DOUBLE PRECISION', allowNull: true });
    await queryInterface.addColumn(t, 'trace_id', { type: 'VARCHAR(32)', allowNull: true });
    await queryInterface.addColumn(t, 'attempts', { type: 'TEXT', allowNull: true });
    await queryInterface.addColumn(t, 'attempt_count', { type: 'INTEGER', allowNull: false, defaultValue: 0 });
    // The explorer's most selective filters, newest first within a tenant.
    await queryInterface.addIndex(t, ['tenant_id', 'key_id', 'created_at'], { name: `${t}_tenant_key_created` });
    await queryInterface.addIndex(t, ['tenant_id', 'model', 'created_at'], { name: `${t}_tenant_model_created` });
  },
  async down({ queryInterface, table }) {
    const t = table('records');
    await queryInterface.removeIndex(t, `${t}_tenant_model_created`);
    await queryInterface.removeIndex(t, `${t}_tenant_key_created`);
    for (const c of ['attempt_count', 'attempts', 'trace_id', 'overhead_ms']) await queryInterface.removeColumn(t, c);
  },
};
