import { builtinModules } from 'node:module';
import path from 'node:path';

/*
 * The lint half of the layer rules (eslint.config.js says which folder may import what; the per-runtime
 * tsconfigs are the compiler half). Relative imports are resolved to the repo folder they land in, so
 * the rule holds however deep the importing file sits; `models/research` counts as a folder of its own.
 *
 * Options (one object):
 *   allow        folders the file may import from (anything else is an error)
 *   forbid       folders the file may not import from (when there is no allow list)
 *   typesOnly    folders it may import types from, and nothing else (`import type`, or only `type` names)
 *   packages     the only npm packages it may import (a name or a name prefix ending in '/')
 *   nodeBuiltins false: no `node:*` or other Node built-in module
 *   why          the reason, shown in the error
 */

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const NODE_BUILTINS = new Set(builtinModules);

/** The repo folder a file lies in ('core', 'models/research', …); null outside the repo. */
function folderOf(file) {
  const rel = path.relative(REPO_ROOT, file).split(path.sep);
  if (rel[0] === '..' || path.isAbsolute(rel[0])) return null;
  return rel[0] === 'models' && rel[1] === 'research' ? 'models/research' : rel[0];
}

function isNodeBuiltin(spec) {
  return spec.startsWith('node:') || NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0]);
}

function packageAllowed(spec, packages) {
  return packages.some((p) =>
    p.endsWith('/') ? spec.startsWith(p) : spec === p || spec.startsWith(`${p}/`),
  );
}

/** Why `spec` may not be imported from `file`, or null when it may. */
function violation(file, spec, typeOnly, o) {
  const from = folderOf(file);
  if (!spec.startsWith('.')) {
    if (o.nodeBuiltins === false && isNodeBuiltin(spec))
      return `${from}/ may not import the Node module '${spec}'`;
    if (o.packages && !isNodeBuiltin(spec) && !packageAllowed(spec, o.packages))
      return `${from}/ may import only the packages ${o.packages.join(', ')}, not '${spec}'`;
    return null;
  }
  const to = folderOf(path.resolve(path.dirname(file), spec));
  if (to === from) return null;
  if (o.typesOnly?.includes(to))
    return typeOnly ? null : `${from}/ may import only types from ${to}/ ('${spec}'): use \`import type\``;
  if (o.allow && !o.allow.includes(to))
    return `${from}/ may import only from ${o.allow.map((f) => `${f}/`).join(', ')}, not '${spec}' (${to}/)`;
  if (o.forbid?.includes(to)) return `${from}/ may not import from ${to}/ ('${spec}')`;
  return null;
}

const allTypeSpecifiers = (specifiers, kind) =>
  specifiers.length > 0 && specifiers.every((s) => s[kind] === 'type');

export const layerImports = {
  meta: {
    type: 'problem',
    docs: { description: 'Keeps each folder to the imports its layer allows' },
    schema: [
      {
        type: 'object',
        properties: {
          allow: { type: 'array', items: { type: 'string' } },
          forbid: { type: 'array', items: { type: 'string' } },
          typesOnly: { type: 'array', items: { type: 'string' } },
          packages: { type: 'array', items: { type: 'string' } },
          nodeBuiltins: { type: 'boolean' },
          why: { type: 'string' },
        },
        additionalProperties: false,
      },
    ],
  },
  create(context) {
    const o = context.options[0] ?? {};
    const check = (node, source, typeOnly) => {
      if (typeof source?.value !== 'string') return;
      const problem = violation(context.filename, source.value, typeOnly, o);
      if (problem) context.report({ node, message: o.why ? `${problem}. ${o.why}` : problem });
    };
    return {
      ImportDeclaration: (node) =>
        check(
          node,
          node.source,
          node.importKind === 'type' || allTypeSpecifiers(node.specifiers, 'importKind'),
        ),
      ExportNamedDeclaration: (node) =>
        check(
          node,
          node.source,
          node.exportKind === 'type' || allTypeSpecifiers(node.specifiers, 'exportKind'),
        ),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source, false),
      TSImportType: (node) => check(node, node.argument?.literal, true),
    };
  },
};

export const layersPlugin = { rules: { imports: layerImports } };
