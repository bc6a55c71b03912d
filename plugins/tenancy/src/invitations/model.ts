import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import type { TenantRole } from '@aihub/core/plugin-api';
import { guardTenantModel } from '../scope';

/** Stored states; `expired` is not stored: it is a pending invitation past `expiresAt`. */
export type StoredInvitationStatus = 'pending' | 'accepted' | 'revoked';

export class Invitation extends Model<InferAttributes<Invitation>, InferCreationAttributes<Invitation>> {
  declare id: string;
  declare tenantId: string;
  /** Normalized (trimmed, lower-case). */
  declare email: string;
  declare role: TenantRole;
  declare teamIds: string[] | string;
  /** SHA-256 (hex) of the token; the token itself is never stored. */
  declare tokenHash: string;
  declare status: StoredInvitationStatus;
  declare expiresAt: Date;
  declare invitedBy: string | null;
  declare acceptedBy: string | null;
  declare acceptedAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

const models = new WeakMap<Sequelize, typeof Invitation>();

/**
 * The invitation model of one Sequelize instance, defined on first use (a test process may run
 * gateways on SQLite and PostgreSQL side by side). Tenant-owned: guarded like memberships.
 */
export function invitationModel(sequelize: Sequelize, tableName: string): typeof Invitation {
  const known = models.get(sequelize);
  if (known) return known;
  const str = (n: number, allowNull = false) => ({ type: DataTypes.STRING(n), allowNull });
  class Inv extends Invitation {}
  Inv.init(
    {
      id: { ...str(64), primaryKey: true },
      tenantId: str(64),
      email: str(254),
      role: str(16),
      teamIds: { type: DataTypes.JSON, allowNull: false },
      tokenHash: str(64),
      status: str(16),
      expiresAt: { type: DataTypes.DATE, allowNull: false },
      invitedBy: str(128, true),
      acceptedBy: str(64, true),
      acceptedAt: { type: DataTypes.DATE, allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, underscored: true, timestamps: true, tableName, modelName: `${tableName}_model` },
  );
  guardTenantModel(Inv);
  models.set(sequelize, Inv);
  return Inv;
}
