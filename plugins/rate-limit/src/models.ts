import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** The level a stored policy applies to. */
export type PolicyScope = 'tenant' | 'team' | 'key' | 'user';
export const POLICY_SCOPES: readonly PolicyScope[] = ['tenant', 'team', 'key', 'user'];

/** One row of `rate_limit_policies`. */
export class PolicyRow extends Model<InferAttributes<PolicyRow>, InferCreationAttributes<PolicyRow>> {
  declare id: string;
  declare tenantId: string;
  declare scope: PolicyScope;
  declare subjectId: string;
  declare requestsPerMinute: number | null;
  declare tokensPerMinute: number | null;
  declare concurrentRequests: number | null;
  declare updatedBy: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Binds the model to the gateway's Sequelize instance (once per plugin start). */
export function definePolicyModel(sequelize: Sequelize, tableName: string): typeof PolicyRow {
  // A fresh subclass per start: several gateways in one process (tests) each get their own binding.
  class Bound extends PolicyRow {}
  Bound.init(
    {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      tenantId: { type: DataTypes.STRING(64), allowNull: false, field: 'tenant_id' },
      scope: { type: DataTypes.STRING(16), allowNull: false },
      subjectId: { type: DataTypes.STRING(128), allowNull: false, field: 'subject_id' },
      requestsPerMinute: { type: DataTypes.INTEGER, allowNull: true, field: 'requests_per_minute' },
      tokensPerMinute: { type: DataTypes.INTEGER, allowNull: true, field: 'tokens_per_minute' },
      concurrentRequests: { type: DataTypes.INTEGER, allowNull: true, field: 'concurrent_requests' },
      updatedBy: { type: DataTypes.STRING(128), allowNull: true, field: 'updated_by' },
      createdAt: { type: DataTypes.DATE, field: 'created_at' },
      updatedAt: { type: DataTypes.DATE, field: 'updated_at' },
    },
    {
      sequelize,
      tableName,
      modelName: `RateLimitPolicy_${tableName}_${++bindings}`,
      timestamps: true,
      underscored: true,
    },
  );
  return Bound;
}

let bindings = 0;
