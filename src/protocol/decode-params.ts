import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { type JsonRpcError, SafeInteger } from './json-rpc.js';
import { invalidParams } from './rpc-errors.js';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

// io-ts puts a context entry for each member of an intersection or union it tries; those keys
// are member indexes, not fields of the value.
const isCombinator = (type: t.Decoder<unknown, unknown>): boolean =>
  type instanceof t.IntersectionType || type instanceof t.UnionType;

/** `params.arguments.count`, `params.clientInfo.icons[0].src`, `params["odd key"]`. */
const pathOf = (context: t.Context): string => {
  let path = 'params';
  for (let i = 1; i < context.length; i++) {
    const parent = context[i - 1]!.type;
    if (isCombinator(parent)) continue;
    const key = context[i]!.key;
    if (parent instanceof t.ArrayType) path += `[${key}]`;
    else path += IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  }
  return path;
};

/** The innermost type that describes the field itself rather than a member of a union tried for it. */
const expectedTypeOf = (context: t.Context): t.Decoder<unknown, unknown> => {
  let index = context.length - 1;
  while (index > 0 && isCombinator(context[index - 1]!.type)) index--;
  return context[index]!.type;
};

const describe = (type: t.Decoder<unknown, unknown>): string => {
  if (type instanceof t.StringType) return 'a string';
  if (type instanceof t.NumberType) return 'a number';
  if (type === SafeInteger) return 'an integer';
  if (type instanceof t.BooleanType) return 'a boolean';
  if (type instanceof t.LiteralType) return JSON.stringify(type.value);
  if (type instanceof t.KeyofType) return `one of ${Object.keys(type.keys).join(', ')}`;
  if (type instanceof t.ArrayType || type instanceof t.AnyArrayType) return 'an array';
  if (type instanceof t.UnionType) return (type.types as t.Decoder<unknown, unknown>[]).map(describe).join(' or ');
  if (
    type instanceof t.InterfaceType ||
    type instanceof t.PartialType ||
    type instanceof t.IntersectionType ||
    type instanceof t.DictionaryType ||
    type instanceof t.AnyDictionaryType
  ) {
    return 'an object';
  }
  return type.name;
};

const describeFailure = (error: t.ValidationError): JsonRpcError => {
  const path = pathOf(error.context);
  if (error.value === undefined) return invalidParams(`${path} is required`, path);
  return invalidParams(`${path} must be ${describe(expectedTypeOf(error.context))}`, path);
};

/**
 * Decodes a request's params with its method's codec. Absent params decode as `{}`, so a method
 * whose params are all optional accepts none, and a missing required field is named precisely.
 * On failure, an invalid-params (-32602) error whose `data.path` names the first failing field.
 */
export const decodeParams = <A>(codec: t.Decoder<unknown, A>, params: unknown): E.Either<JsonRpcError, A> => {
  const result = codec.decode(params === undefined ? {} : params);
  if (E.isRight(result)) return result;
  const [first] = result.left;
  return E.left(first === undefined ? invalidParams('params are invalid', 'params') : describeFailure(first));
};
