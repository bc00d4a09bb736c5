// Validation rules added to graphql-js's own, checked before any resolver runs. (Apollo runs them
// once graphql-js's rules and its own recursive-selection limit have passed.)
//
// Limits on what one document may ask for. The schema is small and shallow, so honest documents
// are tiny; a hostile one could otherwise make one HTTP request cost a great deal — above all
// through aliases, since every aliased user_login or user_register is another bcrypt. Hasura's
// introspection query (150 tokens, depth 13) and graphql-js's own (184, 15) pass.
//
// And a check graphql 16 leaves to execution: an operation type the schema does not have
// (`subscription { … }`) passes validation there and then fails as an internal error.
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/** Tokens in a document; the parser stops there. Our operations need about 20. */
export const MAX_TOKENS = 1000;
/** Field depth, fragments flattened, introspection included (graphql-js's own query is 15 deep). */
export const MAX_DEPTH = 15;
export const MAX_ALIASES = 10;
export const MAX_DIRECTIVES = 20;
/**
 * Root fields per operation, aliases and fragments included (`__typename` aside): each may hash a
 * password, so this bounds the bcrypt work one request can cause. No client needs more.
 */
export const MAX_ROOT_FIELDS = 3;
/** Selections after expanding fragments (Apollo's own rule): stops fragment fan-out bombs. */
export const MAX_RECURSIVE_SELECTIONS = 1000;

/**
 * Armor's rules throw by default (the error escapes validation) and prefix "Syntax Error:";
 * reported through the context instead, they become ordinary validation errors.
 */
function report(context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, '')));
}

const armor = () => ({ propagateOnRejection: false, exposeLimits: true, onReject: [report] });

export function extraValidationRules(): ValidationRule[] {
  return [
    maxDepthRule({ ...armor(), n: MAX_DEPTH, flattenFragments: true, ignoreIntrospection: false }),
    maxAliasesRule({ ...armor(), n: MAX_ALIASES }),
    maxDirectivesRule({ ...armor(), n: MAX_DIRECTIVES }),
    maxRootFieldsRule,
    knownOperationTypeRule,
  ];
}

/** Refuses an operation whose root type the schema lacks: this service has no subscriptions. */
export function knownOperationTypeRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(operation) {
      if (!context.getSchema().getRootType(operation.operation)) {
        context.reportError(
          new GraphQLError(`This service does not support ${operation.operation} operations.`, { nodes: [operation] }),
        );
      }
    },
  };
}

/** At most MAX_ROOT_FIELDS root fields per operation, counted through fragments. */
export function maxRootFieldsRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(operation) {
      const count = countRootFields(operation.selectionSet, context, new Set());
      if (count > MAX_ROOT_FIELDS) {
        context.reportError(
          new GraphQLError(`An operation may select at most ${MAX_ROOT_FIELDS} root fields; this one selects ${count}.`, {
            nodes: [operation],
          }),
        );
      }
    },
  };
}

function countRootFields(selectionSet: SelectionSetNode, context: ValidationContext, seen: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename') count += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countRootFields(selection.selectionSet, context, seen);
    } else {
      // A fragment spread twice at the root adds nothing new (the fields merge); cycles are
      // another rule's error.
      const name = selection.name.value;
      if (seen.has(name)) continue;
      seen.add(name);
      const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(name);
      if (fragment) count += countRootFields(fragment.selectionSet, context, seen);
    }
  }
  return count;
}
