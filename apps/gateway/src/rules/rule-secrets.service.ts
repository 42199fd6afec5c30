import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import {
  actionSecretValues,
  isSecretErrorPath,
  mapActionSecrets,
  maskActionConfig,
  maskActionSecrets,
  restoreMaskedActions,
  restoreMaskedConfig,
  RuleValidationError,
  SECRET_MASK,
} from '@ruleflow/rules';
import type { SecretBox } from '@ruleflow/rules/node/secret-box';
import { SECRET_BOX } from '../common/tokens';
import type { ActionLists } from './action-lists';
import { ACTION_LISTS, mapActionLists } from './action-lists';

interface ActionLike {
  name: string;
  type: string;
  config: Record<string, unknown>;
}

/**
 * Secrets in action configs (the registry in @ruleflow/rules): sealed before any write, opened only
 * to re-validate or merge them, masked in every response. Opening for delivery happens in the worker's
 * webhook activity, never here and never in workflow code.
 */
@Injectable()
export class RuleSecrets {
  constructor(@Inject(SECRET_BOX) private readonly box: SecretBox) {}

  sealConfig(type: unknown, config: Record<string, unknown>): Record<string, unknown> {
    return mapActionSecrets(type, config, (value) => (this.box.isSealed(value) ? value : this.box.encrypt(value)));
  }

  openConfig(type: unknown, config: Record<string, unknown>): Record<string, unknown> {
    return mapActionSecrets(type, config, (value) => this.box.decrypt(value));
  }

  sealActions<T extends ActionLike>(actions: readonly T[]): T[] {
    return actions.map((a) => ({ ...a, config: this.sealConfig(a.type, a.config) }));
  }

  openActions<T extends ActionLike>(actions: readonly T[]): T[] {
    return actions.map((a) => ({ ...a, config: this.openConfig(a.type, a.config) }));
  }

  /** Both of a rule's action lists sealed (the same sealing for `actions` and `onFailure`). */
  sealLists<T extends ActionLike>(lists: ActionLists<readonly T[]>): ActionLists<T[]> {
    return mapActionLists(lists, (list) => this.sealActions(list));
  }

  /** Both of a rule's action lists opened. */
  openLists<T extends ActionLike>(lists: ActionLists<readonly T[]>): ActionLists<T[]> {
    return mapActionLists(lists, (list) => this.openActions(list));
  }

  maskActions<T extends ActionLike>(actions: readonly T[]): T[] {
    return maskActionSecrets(actions);
  }

  maskConfig(type: unknown, config: Record<string, unknown>): Record<string, unknown> {
    return maskActionConfig(type, config);
  }

  /** Client actions with masks replaced by the stored (opened) secrets; a 400 where nothing is stored. */
  restoreActions(actions: unknown, storedOpen: readonly ActionLike[], path = 'actions'): unknown {
    return badRequestOn(() => restoreMaskedActions(actions, storedOpen, path));
  }

  /** restoreActions on each list, against the stored list of the same name. */
  restoreLists(lists: ActionLists<unknown>, storedOpen: ActionLists<readonly ActionLike[]>): ActionLists<unknown> {
    return mapActionLists(lists, (list, path) => this.restoreActions(list, storedOpen[path], path));
  }

  restoreConfig(
    type: unknown,
    config: Record<string, unknown>,
    storedOpen: Record<string, unknown> | undefined,
    path: string,
  ): Record<string, unknown> {
    return badRequestOn(() => restoreMaskedConfig(type, config, storedOpen, path));
  }

  /** A 400 when a mask is still in place after merging (e.g. a template action without a type). */
  assertNoMasks(lists: ActionLists<readonly ActionLike[]>): void {
    for (const path of ACTION_LISTS) {
      lists[path].forEach((a, i) => {
        if (actionSecretValues(a.type, a.config).includes(SECRET_MASK)) {
          throw new BadRequestException(
            `${path}[${i}].config: a secret is the mask "${SECRET_MASK}" with no stored secret behind it; send the secret itself`,
          );
        }
      });
    }
  }

  /**
   * Template errors quote the expression; at a secret's path (e.g. a malformed `{{` inside an
   * Authorization header) that is part of the secret, so such a message keeps only the path.
   * `actions` are those the client sent. Other secret messages ("must be whsec_…") quote nothing.
   */
  scrubError(err: unknown, places: ReadonlyArray<{ type: unknown; path: string }>): unknown {
    if (!(err instanceof BadRequestException)) return err;
    const message = (err.getResponse() as { message?: unknown }).message ?? err.message;
    if (typeof message !== 'string' || !message.includes('{{')) return err;
    const errorPath = message.split(': ')[0] ?? '';
    const hit = places.some((p) => isSecretErrorPath(p.type, p.path, errorPath));
    return hit ? new BadRequestException(`${errorPath}: contains an invalid template expression`) : err;
  }

  /** The places of a rule's actions, in both lists, as the client sent them (an action without a type may be a webhook). */
  actionPlaces(lists: ActionLists<unknown>): Array<{ type: unknown; path: string }> {
    return ACTION_LISTS.flatMap((path) => {
      const actions = lists[path];
      if (!Array.isArray(actions)) return [];
      return actions.map((a: unknown, i) => ({
        type: (typeof a === 'object' && a !== null ? (a as { type?: unknown }).type : undefined) ?? 'webhook',
        path: `${path}[${i}].config`,
      }));
    });
  }
}

function badRequestOn<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RuleValidationError) throw new BadRequestException(err.message);
    throw err;
  }
}
