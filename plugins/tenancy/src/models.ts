import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import type { TenantRole, TenantSettings } from '@aihub/core/plugin-api';
import { guardTenantModel } from './scope';
import type { TenantStatus, UserStatus } from './types';

export class Tenant extends Model<InferAttributes<Tenant>, InferCreationAttributes<Tenant>> {
  declare id: string;
  declare slug: string;
  declare name: string;
  declare status: TenantStatus;
  declare plan: string;
  declare settings: TenantSettings;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: string;
  declare email: string;
  declare passwordHash: string | null;
  declare status: UserStatus;
  declare superadmin: boolean;
  declare failedLogins: CreationOptional<number>;
  declare lockedUntil: Date | null;
  declare lastLoginAt: Date | null;
  declare displayName: CreationOptional<string | null>;
  declare preferredLanguage: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class Team extends Model<InferAttributes<Team>, InferCreationAttributes<Team>> {
  declare id: string;
  declare tenantId: string;
  declare name: string;
  declare description: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class Membership extends Model<InferAttributes<Membership>, InferCreationAttributes<Membership>> {
  declare id: string;
  declare tenantId: string;
  declare userId: string;
  declare role: TenantRole;
  declare teamId: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class AuditEntryRow extends Model<InferAttributes<AuditEntryRow>, InferCreationAttributes<AuditEntryRow>> {
  declare id: string;
  declare tenantId: string | null;
  declare actorType: string;
  declare actorId: string | null;
  declare action: string;
  declare targetType: string;
  declare targetId: string | null;
  declare before: unknown;
  declare after: unknown;
  declare requestId: string | null;
  declare ip: string | null;
  declare createdAt: CreationOptional<Date>;
}

export interface TenancyModels {
  Tenant: typeof Tenant;
  User: typeof User;
  Team: typeof Team;
  Membership: typeof Membership;
  AuditEntry: typeof AuditEntryRow;
}

const str = (n: number, allowNull = false) => ({ type: DataTypes.STRING(n), allowNull });

/**
 * Defines the models on one Sequelize instance. Classes are created per call (a test process may run
 * gateways on SQLite and PostgreSQL side by side, and Model.init binds a class to one instance).
 * Teams, memberships and audit entries are tenant-owned: guarded by `guardTenantModel`.
 */
export function defineModels(sequelize: Sequelize, table: (name: string) => string): TenancyModels {
  const common = { sequelize, underscored: true, timestamps: true };
  class T extends Tenant {}
  T.init(
    {
      id: { ...str(64), primaryKey: true },
      slug: str(63),
      name: str(200),
      status: str(16),
      plan: str(64),
      settings: { type: DataTypes.JSON, allowNull: false },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, tableName: table('tenants'), modelName: `${table('tenants')}_model` },
  );
  class U extends User {}
  U.init(
    {
      id: { ...str(64), primaryKey: true },
      email: str(254),
      passwordHash: str(255, true),
      status: str(16),
      superadmin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      failedLogins: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      lockedUntil: { type: DataTypes.DATE, allowNull: true },
      lastLoginAt: { type: DataTypes.DATE, allowNull: true },
      displayName: { type: DataTypes.STRING(200), allowNull: true },
      preferredLanguage: { type: DataTypes.STRING(35), allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, tableName: table('users'), modelName: `${table('users')}_model` },
  );
  class Tm extends Team {}
  Tm.init(
    {
      id: { ...str(64), primaryKey: true },
      tenantId: str(64),
      name: str(200),
      description: str(2000, true),
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, tableName: table('teams'), modelName: `${table('teams')}_model` },
  );
  class M extends Membership {}
  M.init(
    {
      id: { ...str(64), primaryKey: true },
      tenantId: str(64),
      userId: str(64),
      role: str(16),
      teamId: str(64, true),
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { ...common, tableName: table('memberships'), modelName: `${table('memberships')}_model` },
  );
  class A extends AuditEntryRow {}
  A.init(
    {
      id: { ...str(64), primaryKey: true },
      tenantId: str(64, true),
      actorType: str(32),
      actorId: str(128, true),
      action: str(128),
      targetType: str(64),
      targetId: str(128, true),
      before: { type: DataTypes.JSON, allowNull: true },
      after: { type: DataTypes.JSON, allowNull: true },
      requestId: str(128, true),
      ip: str(64, true),
      createdAt: DataTypes.DATE,
    },
    { ...common, updatedAt: false, tableName: table('audit_log'), modelName: `${table('audit_log')}_model` },
  );
  guardTenantModel(Tm);
  guardTenantModel(M);
  guardTenantModel(A);
  makeAppendOnly(A);
  return { Tenant: T, User: U, Team: Tm, Membership: M, AuditEntry: A };
}

/** The audit log is append-only: the model refuses updates and deletes whatever the caller. */
export function makeAppendOnly(model: typeof AuditEntryRow): void {
  const refuse = () => {
    throw new Error('tenancy audit log is append-only: entries are never updated or deleted');
  };
  model.addHook('beforeUpdate', refuse);
  model.addHook('beforeBulkUpdate', refuse);
  model.addHook('beforeDestroy', refuse);
  model.addHook('beforeBulkDestroy', refuse);
  model.addHook('beforeUpsert', refuse);
}
