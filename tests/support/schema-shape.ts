import { isInputObjectType, isObjectType, type GraphQLSchema } from 'graphql';

/**
 * Every root field with its arguments and type, and every field of every named object or input
 * type the roots reach, as sorted lines ("Mutation.user_register(arg: UserRegister!): User!").
 */
export function schemaShape(schema: GraphQLSchema): string[] {
  const lines: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        const args = field.args.map((a) => `${a.name}: ${String(a.type)}`).join(', ');
        lines.push(`${type.name}.${field.name}${args ? `(${args})` : ''}: ${String(field.type)}`);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) lines.push(`input ${type.name}.${field.name}: ${String(field.type)}`);
    }
  }
  return lines.sort();
}
