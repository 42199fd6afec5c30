import { randomUUID } from 'node:crypto';
import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import { IvrLineEntity, IvrMenuEntity, lockIvrMenus } from '@ruleflow/entities';
import type { SecretBox } from '@ruleflow/rules/node/secret-box';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import type { AuthContext } from '../../auth/auth-context';
import type { Page, PageQueryDto } from '../../common/pagination';
import { fetchPage } from '../../common/pagination';
import { RULEFLOW_CONFIG, SECRET_BOX } from '../../common/tokens';
import { isUuid } from '../../common/uuid';
import type { CreateLineDto, UpdateLineDto } from './dto/line.dto';
import type { LineTokenKeys } from '@ruleflow/rules/node/line-token';
import { lineTokenFor, lineUrls, storedLineToken } from '@ruleflow/rules/node/line-token';

/** The keys line tokens are derived with (the secrets-at-rest keys). */
export const LINE_TOKEN_KEYS = Symbol('LINE_TOKEN_KEYS');

export interface LineResponse {
  id: string;
  name: string;
  menuId: string;
  provider: 'twilio';
  accountSid: string;
  phoneNumber: string;
  /** Null only when no configured key made the line's token (the key it was made with is gone). */
  voiceUrl: string | null;
  statusCallbackUrl: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Phone lines of a tenant (`/v1/ivr/lines`): the provider credentials (sealed) and the webhook URLs. */
@Injectable()
export class LinesService {
  constructor(
    private readonly db: DataSource,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(LINE_TOKEN_KEYS) private readonly keys: LineTokenKeys,
  ) {}

  async create(auth: AuthContext, dto: CreateLineDto): Promise<LineResponse> {
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      // The menu lock: the menu cannot be deleted between this check and the insert.
      await this.assertMenu(tx, auth, dto.menuId);
      await tx.getRepository(IvrLineEntity).insert({
        id,
        tenantId: auth.tenantId,
        name: dto.name,
        menuId: dto.menuId,
        provider: 'twilio',
        accountSid: dto.accountSid,
        authToken: this.box.encrypt(dto.authToken),
        phoneNumber: dto.phoneNumber,
        ...storedLineToken(this.keys, id),
      });
    });
    return this.toResponse(await this.find(this.db.manager, auth, id));
  }

  list(auth: AuthContext, query: PageQueryDto): Promise<Page<LineResponse>> {
    return fetchPage(
      query,
      (skip, take) =>
        this.db.getRepository(IvrLineEntity).find({
          where: { tenantId: auth.tenantId },
          order: { createdAt: 'DESC', id: 'DESC' },
          skip,
          take,
        }),
      (line) => this.toResponse(line),
    );
  }

  async get(auth: AuthContext, id: string): Promise<LineResponse> {
    return this.toResponse(await this.find(this.db.manager, auth, id));
  }

  async update(auth: AuthContext, id: string, dto: UpdateLineDto): Promise<LineResponse> {
    await this.find(this.db.manager, auth, id);
    const changes: Partial<IvrLineEntity> = {};
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.menuId !== undefined) changes.menuId = dto.menuId;
    if (dto.accountSid !== undefined) changes.accountSid = dto.accountSid;
    if (dto.authToken !== undefined) changes.authToken = this.box.encrypt(dto.authToken);
    if (dto.phoneNumber !== undefined) changes.phoneNumber = dto.phoneNumber;
    if (Object.keys(changes).length > 0) {
      await this.db.transaction(async (tx) => {
        if (dto.menuId !== undefined) await this.assertMenu(tx, auth, dto.menuId);
        await tx.getRepository(IvrLineEntity).update({ id, tenantId: auth.tenantId }, changes);
      });
    }
    return this.toResponse(await this.find(this.db.manager, auth, id));
  }

  async remove(auth: AuthContext, id: string): Promise<void> {
    const line = await this.find(this.db.manager, auth, id);
    await this.db.getRepository(IvrLineEntity).delete({ id: line.id, tenantId: auth.tenantId });
  }

  /** Takes the tenant's menu lock (until `tx` ends) and checks that `menuId` is one of its menus. */
  private async assertMenu(tx: EntityManager, auth: AuthContext, menuId: string): Promise<void> {
    await lockIvrMenus(tx, auth.tenantId);
    const menu = await tx.getRepository(IvrMenuEntity).findOneBy({ id: menuId, tenantId: auth.tenantId });
    if (!menu) throw new BadRequestException(`menuId: no menu ${menuId} in this tenant`);
  }

  private async find(em: EntityManager, auth: AuthContext, id: string): Promise<IvrLineEntity> {
    if (!isUuid(id)) throw new NotFoundException(`line ${id} not found`);
    const line = await em.getRepository(IvrLineEntity).findOneBy({ id, tenantId: auth.tenantId });
    if (!line) throw new NotFoundException(`line ${id} not found`);
    return line;
  }

  private toResponse(line: IvrLineEntity): LineResponse {
    const token = lineTokenFor(this.keys, line.id, line.tokenHash);
    const urls = token ? lineUrls(this.config.http.publicUrl, token) : { voiceUrl: null, statusCallbackUrl: null };
    return {
      id: line.id,
      name: line.name,
      menuId: line.menuId,
      provider: line.provider,
      accountSid: line.accountSid,
      phoneNumber: line.phoneNumber,
      ...urls,
      createdAt: line.createdAt.toISOString(),
      updatedAt: line.updatedAt.toISOString(),
    };
  }
}
