import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIObject } from '@nestjs/swagger';
import { loadConfig } from '@ruleflow/config';
import { normalizeActions, normalizeConditions } from '@ruleflow/rules';
import { compileRegex } from '@ruleflow/rules/node/safe-regex';
import { createValidationPipe } from './common/validation';
import { CreateRuleDto } from './rules/dto/rule.dto';
import { CREATE_RULE_EXAMPLE } from './rules/dto/rule-response.dto';
import { SUPPORTED_ACTIONS } from './rules/rule-definition';
import { generateOpenApiDocument, OPENAPI_FILE, serializeOpenApiDocument } from './openapi';

type Operation = {
  summary?: string;
  description?: string;
  security?: unknown[];
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown; example?: unknown }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
};

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

function operations(doc: OpenAPIObject): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Record<string, unknown>)[m]).map(
      (m) => [`${m.toUpperCase()} ${path}`, (item as Record<string, Operation>)[m]] as [string, Operation],
    ),
  );
}

const hasSchema = (r: { content?: Record<string, { schema?: unknown }> } | undefined) =>
  !!r?.content && Object.values(r.content).length > 0 && Object.values(r.content).every((c) => !!c.schema);

/** What an operation lacks to be usable from the document alone (an empty list when nothing). */
function gaps(name: string, op: Operation): string[] {
  const missing: string[] = [];
  if (!op.summary?.trim()) missing.push('summary');
  if (!op.description?.trim()) missing.push('description');
  if (op.requestBody && !hasSchema(op.requestBody)) missing.push('request body schema');
  for (const [status, response] of Object.entries(op.responses)) {
    if (!response.description?.trim()) missing.push(`${status} response description`);
  }
  const success = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
  if (success.length === 0) missing.push('a success response');
  for (const [status, response] of success) {
    if (status !== '204' && !hasSchema(response)) missing.push(`${status} response schema`);
  }
  const params = op.parameters ?? [];
  const authenticated = (op.security ?? []).length > 0;
  const takesInput = !!op.requestBody || params.some((p) => p.in === 'query');
  const needed = [
    ...(authenticated ? ['401', '403', '429'] : []),
    ...(takesInput ? ['400'] : []),
    // A path names a resource that may not exist (PUT creates it).
    ...(params.some((p) => p.in === 'path') && !name.startsWith('PUT ') ? ['404'] : []),
  ];
  for (const status of needed) {
    if (!hasSchema(op.responses[status])) missing.push(`${status} error response with the error body`);
  }
  return missing;
}

describe('the OpenAPI document', () => {
  let doc: OpenAPIObject;
  beforeAll(async () => {
    doc = await generateOpenApiDocument(loadConfig({}));
  });

  it('is a valid OpenAPI 3 document', async () => {
    // The validator dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    expect(doc.openapi).toMatch(/^3\./);
  });

  it('describes every operation, types every request and success response, and documents its errors', () => {
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(60);
    const incomplete = Object.fromEntries(
      ops.map(([name, op]): [string, string[]] => [name, gaps(name, op)]).filter(([, missing]) => missing.length > 0),
    );
    expect(incomplete).toEqual({});
  });

  it('names the API keys as opaque rf_ keys, not JWTs', () => {
    const bearer = doc.components?.securitySchemes?.bearer as { bearerFormat?: string; description?: string };
    expect(bearer.bearerFormat).not.toBe('JWT');
    expect(bearer.description).toContain('rf_');
    expect(JSON.stringify(doc)).not.toContain('additionalProp1');
  });

  it('shows a valid rule as the example of POST /v1/rules', async () => {
    const body = (doc.paths['/v1/rules']?.post as Operation).requestBody?.content?.['application/json'] as {
      examples?: Record<string, { value: unknown }>;
    };
    expect(Object.values(body.examples ?? {}).map((e) => e.value)).toEqual([CREATE_RULE_EXAMPLE]);
    // As the API takes it: the body's validation, then the conditions and actions as rules are saved.
    const dto = (await createValidationPipe().transform(JSON.parse(JSON.stringify(CREATE_RULE_EXAMPLE)), {
      type: 'body',
      metatype: CreateRuleDto,
    })) as CreateRuleDto;
    expect(dto.trigger).toEqual({ type: 'on_create' });
    const conditions = normalizeConditions(dto.conditions, 'conditions', { compileRegex, triggerType: 'on_create' });
    expect(conditions).toEqual(CREATE_RULE_EXAMPLE.conditions);
    const actions = normalizeActions(dto.actions, { allowedTypes: SUPPORTED_ACTIONS });
    expect(actions.map((a) => a.name)).toEqual(['erp', 'mail']);
  });

  it('is the document shipped as docs/openapi.json (run `npm run openapi` after changing the API)', () => {
    const shipped = readFileSync(join(__dirname, '../../..', OPENAPI_FILE), 'utf8');
    if (shipped !== serializeOpenApiDocument(doc)) {
      throw new Error(
        `${OPENAPI_FILE} differs from the document the gateway serves: run \`npm run openapi\` and commit it`,
      );
    }
  });
});
