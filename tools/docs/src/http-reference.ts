import {
  HTTP_METHODS,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiOperation,
  type OpenApiParameter,
  type OpenApiResponse,
} from './openapi-types.js';

const SCHEMA_REF = '#/components/schemas/';

/** One operation of the document, with where it lives. */
interface Route {
  method: string;
  path: string;
  operation: OpenApiOperation;
}

/** Text for a table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|').trim();
}

/** Inline code that survives any backticks inside. */
function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

const schemaAnchor = (name: string): string => `schema-${name.toLowerCase()}`;
const routeAnchor = (route: Route): string => `${route.method}-${route.path}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

function refName(ref: string): string {
  if (!ref.startsWith(SCHEMA_REF)) throw new Error(`unsupported $ref ${ref}: only ${SCHEMA_REF}* is rendered`);
  return ref.slice(SCHEMA_REF.length);
}

/** A schema's type in a few words, with named schemas linked. */
function typeOf(schema: JsonSchema | undefined): string {
  if (schema === undefined) return 'any';
  if (schema.$ref !== undefined) {
    const name = refName(schema.$ref);
    return `[${name}](#${schemaAnchor(name)})`;
  }
  if (schema.enum !== undefined) return schema.enum.map((value) => code(JSON.stringify(value))).join(' | ');
  if (schema.const !== undefined) return code(JSON.stringify(schema.const));
  const union = schema.anyOf ?? schema.oneOf;
  if (union !== undefined) return union.map((member) => typeOf(member)).join(' or ');
  if (schema.allOf !== undefined) return schema.allOf.map((member) => typeOf(member)).join(' and ');
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length === 0) return 'any JSON';
  return types
    .map((type) => {
      if (type === 'array') return `array of ${typeOf(schema.items)}`;
      if (type === 'string' && schema.format !== undefined) return `string (${schema.format})`;
      if (type === 'object' && schema.properties === undefined) return 'object';
      return type;
    })
    .join(' or ');
}

/** The constraints of a schema (and of the members of a union), as short phrases. */
function rulesOf(schema: JsonSchema | undefined): string[] {
  if (schema === undefined) return [];
  const rules: string[] = [];
  const union = schema.anyOf ?? schema.oneOf;
  if (union !== undefined) for (const member of union) rules.push(...rulesOf(member));
  if (schema.minimum !== undefined && schema.maximum !== undefined) {
    // zod writes ±(2^53 - 1) for "any safe integer": not worth a reader's time.
    if (Math.abs(schema.maximum) !== Number.MAX_SAFE_INTEGER) rules.push(`${schema.minimum} to ${schema.maximum}`);
    else if (schema.minimum === 0) rules.push('0 or more');
  } else if (schema.minimum !== undefined) rules.push(`at least ${schema.minimum}`);
  else if (schema.maximum !== undefined) rules.push(`at most ${schema.maximum}`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    rules.push(`length ${schema.minLength ?? 0} to ${schema.maxLength ?? 'any'}`);
  }
  // A pattern that only spells out a format (date-time) says nothing the format does not.
  if (schema.pattern !== undefined && schema.format === undefined) rules.push(`matches ${code(schema.pattern)}`);
  if (schema.default !== undefined) rules.push(`default ${code(JSON.stringify(schema.default))}`);
  if (schema.example !== undefined) rules.push(`example ${code(JSON.stringify(schema.example))}`);
  return rules;
}

/** A description for a field: its own, else that of the schema it names. */
function describe(schema: JsonSchema | undefined, own: string | undefined, document: OpenApiDocument): string {
  if (own) return own;
  if (schema?.description) return schema.description;
  const union = schema?.anyOf ?? schema?.oneOf;
  const inner = union?.find((member) => member.description)?.description;
  if (inner) return inner;
  if (schema?.$ref !== undefined) return document.components?.schemas?.[refName(schema.$ref)]?.description ?? '';
  return '';
}

/** Rows for the fields of an object schema; the fields of an inline object follow as `outer.inner`. */
function fieldRows(schema: JsonSchema, document: OpenApiDocument, prefix = ''): string[] {
  const required = new Set(schema.required ?? []);
  const rows: string[] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    rows.push(
      `| ${code(prefix + name)} | ${cell(typeOf(property))} | ${required.has(name) ? 'yes' : 'no'} | ${cell(rulesOf(property).join('; '))} | ${cell(describe(property, undefined, document))} |`,
    );
    if (property.properties !== undefined) rows.push(...fieldRows(property, document, `${prefix}${name}.`));
  }
  return rows;
}

function fieldTable(schema: JsonSchema, document: OpenApiDocument): string[] {
  return ['| field | type | required | rules | description |', '|---|---|---|---|---|', ...fieldRows(schema, document)];
}

/** What a schema is, in a paragraph: its fields when it is an object with some, its type otherwise. */
function schemaBody(schema: JsonSchema, document: OpenApiDocument): string[] {
  const lines: string[] = [];
  if (schema.properties !== undefined) {
    lines.push(...fieldTable(schema, document));
    if (schema.additionalProperties === false) lines.push('', 'Other fields are refused.');
    return lines;
  }
  const rules = rulesOf(schema);
  lines.push(`Type: ${typeOf({ ...schema, description: undefined })}${rules.length > 0 ? ` (${rules.join('; ')})` : ''}.`);
  return lines;
}

function routesOf(document: OpenApiDocument): Route[] {
  const methods = new Set<string>(HTTP_METHODS);
  const routes: Route[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (methods.has(method)) routes.push({ method, path, operation });
    }
  }
  return routes;
}

function isPublic(operation: OpenApiOperation, document: OpenApiDocument): boolean {
  const security = operation.security ?? document.security ?? [];
  return security.length === 0 || security.some((requirement) => Object.keys(requirement).length === 0);
}

function parameterTable(parameters: OpenApiParameter[], document: OpenApiDocument): string[] {
  const lines = ['| name | in | type | required | rules | description |', '|---|---|---|---|---|---|'];
  for (const parameter of parameters) {
    lines.push(
      `| ${code(parameter.name)} | ${parameter.in} | ${cell(typeOf(parameter.schema))} | ${parameter.required ? 'yes' : 'no'} | ${cell(rulesOf(parameter.schema).join('; '))} | ${cell(describe(parameter.schema, parameter.description, document))} |`,
    );
  }
  return lines;
}

function contentCell(response: OpenApiResponse): string {
  const parts: string[] = [];
  for (const [mediaType, media] of Object.entries(response.content ?? {})) {
    const schema = media.schema;
    const named = schema?.$ref !== undefined;
    const typed = named || schema?.type !== undefined || schema?.anyOf !== undefined;
    const type = typed ? typeOf(schema) : 'any';
    const note = !named && schema?.description ? ` (${schema.description})` : '';
    parts.push(`${code(mediaType)}: ${type}${note}`);
  }
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    parts.push(`header ${code(name)}${header.description ? `: ${header.description}` : ''}`);
  }
  return parts.length === 0 ? 'no body' : parts.join('<br>');
}

function renderRoute(route: Route, document: OpenApiDocument): string[] {
  const { operation } = route;
  const lines = [`<a id="${routeAnchor(route)}"></a>`, '', `### ${route.method.toUpperCase()} ${route.path}`, ''];
  if (operation.summary) lines.push(`${operation.summary}.`.replace(/\.\.$/, '.'), '');
  if (operation.description) lines.push(operation.description, '');
  const facts = [`Operation id: ${code(operation.operationId ?? '-')}.`];
  facts.push(isPublic(operation, document) ? 'No token needed.' : 'Needs the bearer token when the server has one ([authentication](#authentication)).');
  lines.push(facts.join(' '), '');

  const parameters = operation.parameters ?? [];
  if (parameters.length > 0) lines.push('**Parameters**', '', ...parameterTable(parameters, document), '');

  const body = operation.requestBody;
  if (body !== undefined) {
    for (const [mediaType, media] of Object.entries(body.content ?? {})) {
      lines.push(`**Request body** (${code(mediaType)}${body.required ? ', required' : ''}): ${typeOf(media.schema)}`, '');
      const schema = media.schema?.$ref !== undefined ? document.components?.schemas?.[refName(media.schema.$ref)] : media.schema;
      if (schema?.properties !== undefined) lines.push(...schemaBody(schema, document), '');
    }
  }

  lines.push('**Responses**', '', '| status | meaning | body |', '|---|---|---|');
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    lines.push(`| ${status} | ${cell(response.description ?? '')} | ${cell(contentCell(response))} |`);
  }
  lines.push('');
  return lines;
}

/** Error codes named by the responses (`(code x)` in their descriptions), with their statuses and meanings. */
function errorCodes(document: OpenApiDocument, routes: Route[]): Array<{ code: string; statuses: string[]; meaning: string }> {
  const errorSchema = document.components?.schemas?.Error;
  const declared = (errorSchema?.properties?.error?.properties?.code?.enum ?? []).map(String);
  const found = new Map<string, { statuses: Set<string>; meanings: Map<string, string[]> }>();
  for (const route of routes) {
    for (const [status, response] of Object.entries(route.operation.responses ?? {})) {
      const description = response.description ?? '';
      for (const match of description.matchAll(/\(code ([a-z_]+)\)/g)) {
        const name = match[1] as string;
        const entry = found.get(name) ?? { statuses: new Set<string>(), meanings: new Map<string, string[]>() };
        entry.statuses.add(status);
        const meaning = description.replace(/\s*\(code [a-z_]+\)/, '');
        entry.meanings.set(meaning, [...(entry.meanings.get(meaning) ?? []), `${route.method.toUpperCase()} ${code(route.path)}`]);
        found.set(name, entry);
      }
    }
  }
  const names = [...declared, ...[...found.keys()].filter((name) => !declared.includes(name))];
  return names.map((name) => {
    const entry = found.get(name);
    if (entry === undefined) return { code: name, statuses: [], meaning: '' };
    const meanings = [...entry.meanings];
    // One meaning everywhere: say it once. Several: say which routes mean which.
    const meaning = meanings.length === 1
      ? (meanings[0]?.[0] ?? '')
      : meanings.map(([text, where]) => `${where.join(', ')}: ${text}`).join('<br>');
    return { code: name, statuses: [...entry.statuses].sort(), meaning };
  });
}

/**
 * The HTTP reference in Markdown, from the API's OpenAPI document: every route with its
 * parameters, body and answers, the error codes, and every schema. Deterministic: the output
 * depends only on the document, in the document's own order.
 */
export function renderHttpReference(document: OpenApiDocument): string {
  const routes = routesOf(document);
  const lines: string[] = [
    '<!-- Generated by tools/docs from the OpenAPI document of @hotq/api (GET /openapi.json). Do not edit: run `npm run docs`. -->',
    '',
    `# HTTP API reference`,
    '',
    `${document.info.title}, version ${document.info.version} (OpenAPI ${document.openapi}). The document itself is`,
    '[openapi.json](openapi.json) beside this page; a running API serves it at `GET /openapi.json`.',
    '',
  ];
  if (document.info.description) lines.push(document.info.description, '');

  lines.push('## Routes', '', '| method | path | what it does |', '|---|---|---|');
  for (const route of routes) {
    lines.push(`| ${route.method.toUpperCase()} | [${code(route.path)}](#${routeAnchor(route)}) | ${cell(route.operation.summary ?? '')} |`);
  }
  lines.push('');

  lines.push('<a id="authentication"></a>', '', '## Authentication', '');
  const schemes = Object.entries(document.components?.securitySchemes ?? {});
  for (const [name, scheme] of schemes) {
    const kind = scheme.type === 'http' && scheme.scheme ? `HTTP ${scheme.scheme}: \`Authorization: Bearer <token>\`` : (scheme.type ?? '');
    lines.push(`- ${code(name)} (${kind})${scheme.description ? `: ${scheme.description}` : ''}`);
  }
  const open = routes.filter((route) => isPublic(route.operation, document));
  lines.push(
    '',
    open.length > 0
      ? `Routes that never need a token: ${open.map((route) => `${route.method.toUpperCase()} ${code(route.path)}`).join(', ')}.`
      : 'Every route needs the token when the server has one.',
    '',
  );

  if (document.components?.schemas?.Error !== undefined) {
    lines.push(
      '<a id="errors"></a>',
      '',
      '## Errors',
      '',
      'Every error answer has the body [Error](#schema-error): `{ "error": { "code", "message", "details"? } }`.',
      'The codes, and the statuses the routes below give them:',
      '',
      '| code | status | meaning |',
      '|---|---|---|',
    );
    for (const entry of errorCodes(document, routes)) {
      lines.push(`| ${code(entry.code)} | ${entry.statuses.join(', ') || 'not listed by any route'} | ${cell(entry.meaning)} |`);
    }
    lines.push('');
  }

  lines.push('## Route details', '');
  for (const route of routes) lines.push(...renderRoute(route, document));

  lines.push('## Schemas', '');
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    lines.push(`<a id="${schemaAnchor(name)}"></a>`, '', `### ${name}`, '');
    if (schema.description) lines.push(schema.description, '');
    lines.push(...schemaBody(schema, document), '');
  }
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
