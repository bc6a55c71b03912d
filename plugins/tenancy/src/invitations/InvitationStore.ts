import { Op, QueryTypes, UniqueConstraintError, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import { errors, type TenantRole } from '@aihub/core/plugin-api';
import { ID_PREFIX, looksLikeId, newId } from '../ids';
import { decodeIdCursor, encodeIdCursor, pageSize } from '../pagination';
import { withCrossTenantAccess } from '../scope';
import type { TenancyStore } from '../TenancyStore';
import { normalizeEmail } from '../store/shared';
import type { Page, PageRequest } from '../types';
import { invitationModel, type Invitation } from './model';
import { hashInvitationToken, looksLikeInvitationToken, newInvitationToken } from './token';
import { TenancyErrors } from '../errors';

/** The users table's rule: something, @, something, no spaces. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/** An invitation as the admin API sees it (never with its token or the token's hash). */
export interface InvitationRecord {
  id: string;
  tenantId: string;
  email: string;
  role: TenantRole;
  teamIds: string[];
  /** `expired`: still pending in storage, but past `expiresAt`. */
  status: InvitationStatus;
  expiresAt: Date;
  invitedBy: string | null;
  acceptedBy: string | null;
  acceptedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateInvitationInput {
  tenantId: string;
  email: string;
  role: TenantRole;
  teamIds?: string[];
  /** Actor id of whoever invites (audit and list). */
  invitedBy: string | null;
}

/** The one answer for unknown, expired, revoked and used tokens: a token holder learns nothing more. */
export function invitationNotFound() {
  return TenancyErrors.create(
    'invitation_not_found',
    'This invitation does not exist, has expired, was revoked or was already used; ask for a new one.',
  );
}

function teamIdsOf(raw: string[] | string): string[] {
  if (Array.isArray(raw)) return raw;
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Member invitations of tenants (table `tenancy_invitations`). A token is shown once at creation and
 * stored as its SHA-256; at most one invitation per tenant and e-mail is pending (a new one replaces
 * it). Accepting is a conditional update from pending, so a token is used at most once.
 */
export class InvitationStore {
  readonly model: typeof Invitation;

  constructor(
    private readonly sequelize: Sequelize,
    table: string,
    private readonly tenancy: TenancyStore,
    private readonly now: () => number,
  ) {
    this.model = invitationModel(sequelize, table);
  }

  private toRecord(m: Invitation): InvitationRecord {
    const expired = m.status === 'pending' && new Date(m.expiresAt).getTime() <= this.now();
    return {
      id: m.id,
      tenantId: m.tenantId,
      email: m.email,
      role: m.role,
      teamIds: teamIdsOf(m.teamIds),
      status: expired ? 'expired' : m.status,
      expiresAt: new Date(m.expiresAt),
      invitedBy: m.invitedBy ?? null,
      acceptedBy: m.acceptedBy ?? null,
      acceptedAt: m.acceptedAt ? new Date(m.acceptedAt) : null,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
    };
  }

  /**
   * Whether the address already belongs to a member of the tenant, in one query whether or not the
   * address has an account (the member list shows members anyway; accounts elsewhere must not show).
   */
  async isMember(tenantId: string, email: string, t?: Transaction): Promise<boolean> {
    const m = this.tenancy.models.Membership.getTableName() as string;
    const u = this.tenancy.models.User.getTableName() as string;
    const rows = await this.sequelize.query(
      `SELECT 1 AS one FROM "${m}" m JOIN "${u}" u ON u.id = m.user_id WHERE m.tenant_id = $1 AND u.email = $2`,
      {
        bind: [tenantId, normalizeEmail(email)],
        type: QueryTypes.SELECT,
        transaction: t,
      },
    );
    return rows.length > 0;
  }

  /** Checks that every team id is a team of the tenant (400 `team_not_found` otherwise). */
  async checkTeams(tenantId: string, teamIds: string[], t?: Transaction): Promise<void> {
    for (const teamId of teamIds) {
      if (!(await this.tenancy.teams.get(tenantId, teamId, t)))
        throw errors.badRequest(`team_ids: ${teamId} is not a team of this tenant.`, 'team_not_found', 'team_ids');
    }
  }

  /**
   * Creates an invitation, replacing (revoking) a pending one for the same tenant and e-mail.
   * Returns the invitation, the token (shown once) and the invitation it replaced, if any.
   */
  async create(
    input: CreateInvitationInput,
    ttlMs: number,
    t: Transaction,
  ): Promise<{ invitation: InvitationRecord; token: string; replaced: InvitationRecord[] }> {
    const email = normalizeEmail(input.email);
    if (email.length > 254 || !EMAIL.test(email))
      throw TenancyErrors.create('invalid_email', 'email must be an e-mail address of at most 254 characters.', {
        param: 'email',
      });
    const teamIds = [...new Set(input.teamIds ?? [])];
    await this.checkTeams(input.tenantId, teamIds, t);
    const previous = await this.model.findAll({
      where: { tenantId: input.tenantId, email, status: 'pending' },
      transaction: t,
    });
    if (previous.length)
      await this.model.update(
        { status: 'revoked' },
        { where: { tenantId: input.tenantId, id: { [Op.in]: previous.map((p) => p.id) } }, transaction: t },
      );
    const token = newInvitationToken();
    try {
      const row = await this.model.create(
        {
          id: newId(ID_PREFIX.invitation),
          tenantId: input.tenantId,
          email,
          role: input.role,
          teamIds,
          tokenHash: hashInvitationToken(token),
          status: 'pending',
          expiresAt: new Date(this.now() + ttlMs),
          invitedBy: input.invitedBy,
          acceptedBy: null,
          acceptedAt: null,
        },
        { transaction: t },
      );
      return {
        invitation: this.toRecord(row),
        token,
        replaced: previous.map((p) => ({ ...this.toRecord(p), status: 'revoked' as const })),
      };
    } catch (err) {
      if (err instanceof UniqueConstraintError)
        throw TenancyErrors.create(
          'invitation_conflict',
          'Another invitation for this address was created at the same moment; list the invitations and retry.',
        );
      throw err;
    }
  }

  async get(tenantId: string, id: string, t?: Transaction): Promise<InvitationRecord | undefined> {
    if (!looksLikeId(id)) return undefined;
    const row = await this.model.findOne({ where: { tenantId, id }, transaction: t });
    return row ? this.toRecord(row) : undefined;
  }

  /** A tenant's invitations, oldest first, optionally by (effective) status. */
  async list(
    tenantId: string,
    input: PageRequest & { status?: InvitationStatus } = {},
  ): Promise<Page<InvitationRecord>> {
    const limit = pageSize(input.limit);
    const after = decodeIdCursor(input.cursor);
    const and: WhereOptions[] = [];
    if (after) and.push({ id: { [Op.gt]: after } });
    const now = new Date(this.now());
    if (input.status === 'pending') and.push({ status: 'pending', expiresAt: { [Op.gt]: now } });
    else if (input.status === 'expired') and.push({ status: 'pending', expiresAt: { [Op.lte]: now } });
    else if (input.status) and.push({ status: input.status });
    const rows = await this.model.findAll({
      where: { tenantId, [Op.and]: and },
      order: [['id', 'ASC']],
      limit: limit + 1,
    });
    const more = rows.length > limit;
    const data = (more ? rows.slice(0, limit) : rows).map((r) => this.toRecord(r));
    return { data, nextCursor: more ? encodeIdCursor(data[data.length - 1].id) : null };
  }

  /** Revokes a pending (or expired) invitation; false when it was already accepted or revoked. */
  async revoke(tenantId: string, id: string, t: Transaction): Promise<boolean> {
    const [n] = await this.model.update(
      { status: 'revoked' },
      { where: { tenantId, id, status: 'pending' }, transaction: t },
    );
    return n > 0;
  }

  /**
   * The pending, unexpired invitation of a token, whatever its tenant (the token is the credential),
   * or undefined. A string that cannot be a token is refused before any hashing or query.
   */
  async findByToken(token: unknown, t?: Transaction): Promise<InvitationRecord | undefined> {
    if (!looksLikeInvitationToken(token)) return undefined;
    const tokenHash = hashInvitationToken(token);
    // Deliberately cross-tenant: the token, not a tenant scope, says which invitation this is.
    const row = await withCrossTenantAccess(() => this.model.findOne({ where: { tokenHash }, transaction: t }));
    if (!row) return undefined;
    const record = this.toRecord(row);
    return record.status === 'pending' ? record : undefined;
  }

  /**
   * Marks the invitation accepted by `userId` if it is still pending and unexpired: a conditional
   * update, so two concurrent accepts of one token cannot both succeed. False when it no longer was.
   */
  async claim(invitation: InvitationRecord, userId: string, t: Transaction): Promise<boolean> {
    const now = new Date(this.now());
    const [n] = await this.model.update(
      { status: 'accepted', acceptedBy: userId, acceptedAt: now },
      {
        where: { tenantId: invitation.tenantId, id: invitation.id, status: 'pending', expiresAt: { [Op.gt]: now } },
        transaction: t,
      },
    );
    return n > 0;
  }
}
