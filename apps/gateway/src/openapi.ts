import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { RuleflowConfig } from '@ruleflow/config';
import { AppModule } from './app.module';

/** Where the generated document is shipped, relative to the repository root (`npm run openapi` writes it). */
export const OPENAPI_FILE = 'docs/openapi.json';

/** The document as docs/openapi.json holds it: two-space JSON and a final newline (what Prettier keeps). */
export function serializeOpenApiDocument(doc: OpenAPIObject): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The OpenAPI document of the gateway's routes (served at /docs-json, shipped as docs/openapi.json). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  return withResponseDescriptions(buildRawDocument(app));
}

/** What a success answer is, for responses whose decorator gave only a type (OpenAPI wants a description). */
const SUCCESS_DESCRIPTIONS: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted: the work goes on durably',
  '204': 'No Content',
};

function withResponseDescriptions(doc: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item as Record<string, { responses?: Record<string, { description?: string }> }>)) {
      for (const [status, response] of Object.entries(op?.responses ?? {})) {
        if (!response.description) response.description = SUCCESS_DESCRIPTIONS[status] ?? status;
      }
    }
  }
  return doc;
}

function buildRawDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Ruleflow API')
      .setDescription(
        'Durable, rule-driven automation on Temporal. The guide to this API is docs/API.md in the repository.',
      )
      .setVersion('1')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'rf_ API key',
        description:
          'An opaque Ruleflow API key (`rf_…`, from `npm run keys`), sent as `Authorization: Bearer rf_…`. ' +
          'Not a JWT: the gateway looks the key up; its scopes decide what it may do.',
      })
      .addApiKey(
        {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description: 'The same opaque `rf_…` API key, in the `X-API-Key` header instead of `Authorization`.',
        },
        'api-key',
      )
      .build(),
  );
}

/**
 * The document without a running gateway: the app module in preview mode (no provider is created, so
 * neither PostgreSQL nor Temporal is needed). Used by `npm run openapi` and the document tests.
 */
export async function generateOpenApiDocument(config: RuleflowConfig): Promise<OpenAPIObject> {
  const app = await NestFactory.create(AppModule.forRoot(config), { preview: true, logger: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
