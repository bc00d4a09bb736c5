// Hasura's check of a remote-schema permission (Hasura.RemoteSchema.SchemaCache.Permission in
// graphql-engine v2), reimplemented so the metadata can be verified without a Hasura: the role's
// SDL must be a subset of the upstream schema, type by type, field by field, argument by argument.
// Messages follow Hasura's. One deliberate addition: Hasura takes the mutation root only from a
// `schema { … }` block (without one a role gets no mutations at all), so a document defining a
// `Mutation` type but no such block is reported too.
import {
  assertValidSchema,
  astFromValue,
  buildASTSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
  Kind,
  parse,
  print,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLSchema,
  type InputValueDefinitionNode,
  type TypeDefinitionNode,
  type TypeNode,
} from 'graphql';

const BUILT_IN_SCALARS = ['ID', 'Int', 'Float', 'Boolean', 'String'];
/** Hasura's own directive for argument presets; it need not exist upstream. */
const PRESET_DIRECTIVE = 'preset';
const PRESET_DEFINITION = 'scalar PresetValue\ndirective @preset(value: PresetValue, static: Boolean) on INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION\n';

export interface RoleSchemaRoots {
  query: string;
  mutation?: string;
  subscription?: string;
}

export interface RoleSchemaResult {
  errors: string[];
  /** The root fields the role can use, as "Query.user_login" / "Mutation.user_register". */
  rootFields: string[];
}

/** What one check collects, and the upstream directive names (for directives used in the SDL). */
interface Check {
  errors: string[];
  upstreamDirectives: ReadonlySet<string>;
}

function typeString(node: TypeNode): string {
  return print(node);
}

function duplicates(names: string[]): string[] {
  return [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
}

function upstreamDefault(arg: GraphQLArgument | GraphQLInputField): string | undefined {
  if (arg.defaultValue === undefined) return undefined;
  const ast = astFromValue(arg.defaultValue, arg.type);
  return ast ? print(ast) : undefined;
}

/** validateArguments: provided ⊆ upstream, every non-null upstream argument kept, same types and defaults. */
function validateArguments(
  provided: readonly InputValueDefinitionNode[],
  upstream: readonly (GraphQLArgument | GraphQLInputField)[],
  parent: string,
  check: Check,
): void {
  const names = provided.map((a) => a.name.value);
  const dups = duplicates(names);
  if (dups.length) {
    check.errors.push(`duplicate arguments: ${dups.join(', ')} found in the field: ${parent}`);
    return;
  }
  const missing = upstream.filter((a) => String(a.type).endsWith('!') && !provided.some((p) => p.name.value === a.name && p.type.kind === Kind.NON_NULL_TYPE));
  if (missing.length) {
    check.errors.push(`field: "${parent}" expects the following non nullable arguments to be present: ${missing.map((a) => `"${a.name}"`).join(', ')}`);
    return;
  }
  for (const arg of provided) {
    const up = upstream.find((u) => u.name === arg.name.value);
    if (!up) {
      check.errors.push(`input argument "${arg.name.value}" does not exist in the input object:${parent}`);
      continue;
    }
    validateDirectives(arg.directives ?? [], `${parent}.${arg.name.value}`, check, true);
    if (typeString(arg.type) !== String(up.type)) {
      check.errors.push(`expected type of "${arg.name.value}"("Input object argument") to be ${String(up.type)} but received ${typeString(arg.type)}`);
    }
    const given = arg.defaultValue ? print(arg.defaultValue) : undefined;
    if (given !== upstreamDefault(up)) {
      check.errors.push(`expected default value of input value: "${arg.name.value}" of input object "${parent}" to be ${upstreamDefault(up) ?? ''} but received ${given ?? ''}`);
    }
  }
}

function validateDirectives(directives: readonly ConstDirectiveNode[], parent: string, check: Check, presetAllowed = false): void {
  const presets = directives.filter((d) => d.name.value === PRESET_DIRECTIVE);
  if (presets.length > 1) check.errors.push(`found multiple preset directives at ${parent}`);
  if (presets.length && !presetAllowed) check.errors.push('Preset directives can be defined only on INPUT_FIELD_DEFINITION or ARGUMENT_DEFINITION');
  for (const d of directives) {
    if (d.name.value !== PRESET_DIRECTIVE && !check.upstreamDirectives.has(d.name.value)) {
      check.errors.push(`Directive: "${d.name.value}" does not exist in the upstream remote schema`);
    }
  }
}

function validateFields(
  provided: readonly FieldDefinitionNode[],
  upstream: Record<string, GraphQLField<unknown, unknown>>,
  kind: 'Object' | 'Interface',
  parent: string,
  check: Check,
): void {
  const dups = duplicates(provided.map((f) => f.name.value));
  if (dups.length) {
    check.errors.push(`duplicate fields: ${dups.join(', ')} found in the ${kind} "${parent}"`);
    return;
  }
  for (const field of provided) {
    const up = upstream[field.name.value];
    if (!up) {
      check.errors.push(`field "${field.name.value}" does not exist in the "${kind}": "${parent}"`);
      continue;
    }
    validateDirectives(field.directives ?? [], `${parent}.${field.name.value}`, check);
    if (typeString(field.type) !== String(up.type)) {
      check.errors.push(`expected type of "${field.name.value}"("${kind} field") to be ${String(up.type)} but received ${typeString(field.type)}`);
    }
    validateArguments(field.arguments ?? [], up.args, field.name.value, check);
  }
}

function validateType(def: TypeDefinitionNode, upstream: GraphQLSchema, declaredInterfaces: Set<string>, check: Check): void {
  const name = def.name.value;
  const up = upstream.getType(name);
  validateDirectives(def.directives ?? [], name, check);
  switch (def.kind) {
    case Kind.SCALAR_TYPE_DEFINITION:
      if (!BUILT_IN_SCALARS.includes(name) && !isScalarType(up)) check.errors.push(`Scalar: "${name}" does not exist in the upstream remote schema`);
      return;
    case Kind.OBJECT_TYPE_DEFINITION: {
      if (!isObjectType(up)) {
        check.errors.push(`Object: "${name}" does not exist in the upstream remote schema`);
        return;
      }
      const upstreamInterfaces = up.getInterfaces().map((i) => i.name);
      const extra = (def.interfaces ?? []).map((i) => i.name.value).filter((i) => !upstreamInterfaces.includes(i));
      const custom = extra.filter((i) => declaredInterfaces.has(i));
      if (custom.length) check.errors.push(`custom interfaces are not supported. Object"${name}" implements the following custom interfaces: ${custom.join(', ')}`);
      const missing = extra.filter((i) => !declaredInterfaces.has(i));
      if (missing.length) check.errors.push(`object "${name}" is trying to implement the following interfaces that do not exist in the corresponding upstream remote object: ${missing.join(', ')}`);
      validateFields(def.fields ?? [], up.getFields(), 'Object', name, check);
      return;
    }
    case Kind.INTERFACE_TYPE_DEFINITION:
      if (!isInterfaceType(up)) {
        check.errors.push(`Interface: "${name}" does not exist in the upstream remote schema`);
        return;
      }
      validateFields(def.fields ?? [], up.getFields(), 'Interface', name, check);
      return;
    case Kind.UNION_TYPE_DEFINITION: {
      if (!isUnionType(up)) {
        check.errors.push(`Union: "${name}" does not exist in the upstream remote schema`);
        return;
      }
      const members = up.getTypes().map((t) => t.name);
      const extra = (def.types ?? []).map((t) => t.name.value).filter((t) => !members.includes(t));
      if (extra.length) check.errors.push(`union "${name}" contains members which do not exist in the members of the remote schema union :${extra.join(', ')}`);
      return;
    }
    case Kind.ENUM_TYPE_DEFINITION: {
      if (!isEnumType(up)) {
        check.errors.push(`Enum: "${name}" does not exist in the upstream remote schema`);
        return;
      }
      const values = up.getValues().map((v) => v.name);
      const extra = (def.values ?? []).map((v) => v.name.value).filter((v) => !values.includes(v));
      if (extra.length) check.errors.push(`enum "${name}" contains the following enum values that do not exist in the corresponding upstream remote enum: ${extra.join(', ')}`);
      return;
    }
    case Kind.INPUT_OBJECT_TYPE_DEFINITION:
      if (!isInputObjectType(up)) {
        check.errors.push(`Input object: "${name}" does not exist in the upstream remote schema`);
        return;
      }
      validateArguments(def.fields ?? [], Object.values(up.getFields()), name, check);
      return;
  }
}

/**
 * Checks a role's SDL against the upstream schema as Hasura does when it loads the permission,
 * then builds it into a schema (as Hasura builds the role's remote schema) to catch dangling
 * type references. No errors means Hasura would accept the permission.
 */
export function validateRoleSchema(sdl: string, upstream: GraphQLSchema): RoleSchemaResult {
  const errors: string[] = [];
  let document: DocumentNode;
  try {
    document = parse(sdl);
  } catch (error) {
    return { errors: [`the schema document does not parse: ${(error as Error).message}`], rootFields: [] };
  }
  const check: Check = { errors, upstreamDirectives: new Set(upstream.getDirectives().map((d) => d.name)) };

  const schemaDefinitions = document.definitions.filter((d) => d.kind === Kind.SCHEMA_DEFINITION);
  const typeDefinitions = document.definitions.filter(
    (d): d is TypeDefinitionNode =>
      d.kind === Kind.SCALAR_TYPE_DEFINITION ||
      d.kind === Kind.OBJECT_TYPE_DEFINITION ||
      d.kind === Kind.INTERFACE_TYPE_DEFINITION ||
      d.kind === Kind.UNION_TYPE_DEFINITION ||
      d.kind === Kind.ENUM_TYPE_DEFINITION ||
      d.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION,
  );
  const other = document.definitions.filter((d) => d.kind !== Kind.SCHEMA_DEFINITION && !typeDefinitions.includes(d as TypeDefinitionNode));
  if (other.length) errors.push(`only type definitions and one schema definition are allowed, found: ${other.map((d) => d.kind).join(', ')}`);

  const dups = duplicates(typeDefinitions.map((d) => d.name.value));
  if (dups.length) errors.push(`duplicate type names found: ${dups.join(', ')}`);
  if (schemaDefinitions.length > 1) errors.push('multiple schema definitions found');

  const roots: RoleSchemaRoots = { query: 'Query' };
  const schemaDefinition = schemaDefinitions[0];
  if (schemaDefinition?.kind === Kind.SCHEMA_DEFINITION) {
    for (const op of schemaDefinition.operationTypes) roots[op.operation] = op.type.name.value;
  }
  const defined = new Set(typeDefinitions.map((d) => d.name.value));
  if (!roots.mutation && defined.has('Mutation')) {
    errors.push('type Mutation is defined but the document has no `schema { mutation: Mutation }`: Hasura would expose no mutations');
  }
  if (roots.subscription) errors.push('subscription root: subscriptions to a remote schema are not supported');
  const rootMatches: [string | undefined, string | undefined][] = [
    [roots.query, upstream.getQueryType()?.name],
    [roots.mutation, upstream.getMutationType()?.name],
  ];
  for (const [role, up] of rootMatches) {
    if (role !== undefined && role !== up) errors.push(`root type "${role}" is not the upstream root "${up ?? 'none'}"`);
  }

  const declaredInterfaces = new Set(typeDefinitions.filter((d) => d.kind === Kind.INTERFACE_TYPE_DEFINITION).map((d) => d.name.value));
  for (const def of typeDefinitions) validateType(def, upstream, declaredInterfaces, check);

  if (!errors.length) {
    try {
      const built = buildASTSchema(parse(PRESET_DEFINITION + sdl));
      assertValidSchema(built);
    } catch (error) {
      errors.push(`the role's schema is not a valid schema: ${(error as Error).message}`);
    }
  }

  const rootFields = typeDefinitions.flatMap((d) =>
    d.kind === Kind.OBJECT_TYPE_DEFINITION && (d.name.value === roots.query || d.name.value === roots.mutation)
      ? (d.fields ?? []).map((f) => `${d.name.value}.${f.name.value}`)
      : [],
  );
  return { errors, rootFields: rootFields.sort() };
}
