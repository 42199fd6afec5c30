import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { ActionTemplateEntity } from '@ruleflow/entities';
import { maskActionConfig, RuleValidationError, validateTemplates } from '@ruleflow/rules';
import { DataSource, In, QueryFailedError } from 'typeorm';
import type { AuthContext } from '../auth/auth-context';
import type { PageQueryDto } from '../common/pagination';
import { fetchPage } from '../common/pagination';
import { isUuid } from '../common/uuid';
import { RuleSecrets } from '../rules/rule-secrets.service';
import type { CreateActionTemplateDto, UpdateActionTemplateDto } from './dto/action-template.dto';

/** The public representation of an action template: secrets of its type shown as the mask. */
export function toActionTemplateResponse(t: ActionTemplateEntity) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    actionType: t.actionType,
    defaultConfig: maskActionConfig(t.actionType, t.defaultConfig),
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

@Injectable()
export class ActionTemplatesService {
  constructor(
    private readonly db: DataSource,
    private readonly secrets: RuleSecrets,
  ) {}

  async create(auth: AuthContext, dto: CreateActionTemplateDto) {
    this.checkConfig(dto.actionType, dto.defaultConfig);
    const defaultConfig = this.secrets.sealConfig(
      dto.actionType,
      this.secrets.restoreConfig(dto.actionType, dto.defaultConfig, undefined, 'defaultConfig'),
    );
    const repo = this.db.getRepository(ActionTemplateEntity);
    const saved = await uniqueName(dto.name, () =>
      repo.save(
        repo.create({
          tenantId: auth.tenantId,
          name: dto.name,
          description: dto.description ?? null,
          actionType: dto.actionType,
          defaultConfig,
        }),
      ),
    );
    return toActionTemplateResponse(saved);
  }

  async list(auth: AuthContext, query: PageQueryDto) {
    return fetchPage(
      query,
      (skip, take) =>
        this.db
          .getRepository(ActionTemplateEntity)
          .find({ where: { tenantId: auth.tenantId }, order: { name: 'ASC', id: 'ASC' }, skip, take }),
      toActionTemplateResponse,
    );
  }

  async get(auth: AuthContext, id: string) {
    return toActionTemplateResponse(await this.find(auth, id));
  }

  async update(auth: AuthContext, id: string, dto: UpdateActionTemplateDto) {
    const template = await this.find(auth, id);
    const actionType = dto.actionType ?? template.actionType;
    let defaultConfig: Record<string, unknown> | undefined;
    if (dto.defaultConfig !== undefined) {
      this.checkConfig(actionType, dto.defaultConfig);
      // A mask sent back (GET → PATCH) keeps the stored secret; a new value replaces it.
      const stored = this.secrets.openConfig(template.actionType, template.defaultConfig);
      const restored = this.secrets.restoreConfig(
        actionType,
        dto.defaultConfig,
        actionType === template.actionType ? stored : undefined,
        'defaultConfig',
      );
      defaultConfig = this.secrets.sealConfig(actionType, restored);
    } else if (actionType !== template.actionType) {
      // Another type has other secret fields: seal under the new type's, open what the old type sealed.
      const opened = this.secrets.openConfig(template.actionType, template.defaultConfig);
      defaultConfig = this.secrets.sealConfig(actionType, opened);
    }
    Object.assign(template, {
      ...(dto.name !== undefined && { name: dto.name }),
      ...(dto.description !== undefined && { description: dto.description }),
      ...(dto.actionType !== undefined && { actionType: dto.actionType }),
      ...(defaultConfig !== undefined && { defaultConfig }),
    });
    const saved = await uniqueName(template.name, () => this.db.getRepository(ActionTemplateEntity).save(template));
    return toActionTemplateResponse(saved);
  }

  async remove(auth: AuthContext, id: string): Promise<void> {
    const template = await this.find(auth, id);
    // Rules keep the merged config they were saved with, so deleting a template breaks no rule.
    await this.db.getRepository(ActionTemplateEntity).delete({ id: template.id, tenantId: auth.tenantId });
  }

  /** The caller's templates among these ids (for merging into rule actions). */
  async findMany(tenantId: string, ids: string[]): Promise<Map<string, ActionTemplateEntity>> {
    const rows = await this.db.getRepository(ActionTemplateEntity).find({ where: { tenantId, id: In(ids) } });
    return new Map(rows.map((t) => [t.id, t]));
  }

  private checkConfig(actionType: string, config: Record<string, unknown>): void {
    try {
      validateTemplates(config, 'defaultConfig');
    } catch (err) {
      if (err instanceof RuleValidationError) {
        throw this.secrets.scrubError(new BadRequestException(err.message), [
          { type: actionType, path: 'defaultConfig' },
        ]);
      }
      throw err;
    }
  }

  private async find(auth: AuthContext, id: string): Promise<ActionTemplateEntity> {
    const found = isUuid(id)
      ? await this.db.getRepository(ActionTemplateEntity).findOneBy({ id, tenantId: auth.tenantId })
      : null;
    if (!found) throw new NotFoundException(`action template ${id} not found`);
    return found;
  }
}

async function uniqueName<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof QueryFailedError && (err as { code?: string }).code === '23505') {
      throw new ConflictException(`an action template named "${name}" already exists`);
    }
    throw err;
  }
}
