import ts from "typescript";

/** A name in a package's published typings that has no doc comment. */
export interface Undocumented {
  /** `Worker`, `Worker.hungry`, `WorkerOptions.queues`. */
  name: string;
  file: string;
}

function documented(symbol: ts.Symbol, checker: ts.TypeChecker): boolean {
  if (symbol.getDocumentationComment(checker).length > 0) return true;
  // `@param`-only or `@deprecated` docs still count as a written doc comment.
  return (symbol.getDeclarations() ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
}

/** Every class and interface `type` extends or implements, transitively. */
function ancestors(type: ts.Type, checker: ts.TypeChecker): ts.Type[] {
  const found: ts.Type[] = [];
  const visit = (t: ts.Type): void => {
    const declarations = t.getSymbol()?.getDeclarations() ?? [];
    const parents: ts.Type[] = [];
    if (t.isClassOrInterface()) parents.push(...(checker.getBaseTypes(t) ?? []));
    for (const d of declarations) {
      if (!ts.isClassDeclaration(d)) continue;
      for (const clause of d.heritageClauses ?? []) {
        if (clause.token !== ts.SyntaxKind.ImplementsKeyword) continue;
        for (const node of clause.types) parents.push(checker.getTypeAtLocation(node));
      }
    }
    for (const p of parents) {
      if (found.includes(p)) continue;
      found.push(p);
      visit(p);
    }
  };
  visit(type);
  return found;
}

/** A member without a doc comment of its own counts when the one it overrides has one. */
function inheritsDoc(owner: ts.Symbol, name: string, checker: ts.TypeChecker): boolean {
  for (const parent of ancestors(checker.getDeclaredTypeOfSymbol(owner), checker)) {
    const member = parent.getProperty(name);
    if (member !== undefined && documented(member, checker)) return true;
  }
  return false;
}

function isHidden(decl: ts.Declaration): boolean {
  const flags = ts.getCombinedModifierFlags(decl);
  if (flags & ts.ModifierFlags.Private) return true;
  const name = ts.getNameOfDeclaration(decl);
  return name !== undefined && ts.isPrivateIdentifier(name);
}

/**
 * Walks the exports of typings files and lists every exported name, and every public or
 * protected member of an exported class or interface, that has no doc comment. Members a
 * class inherits or overrides are checked where they are declared first.
 */
export function undocumentedNames(files: readonly string[]): Undocumented[] {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const found: Undocumented[] = [];
  const seen = new Set<ts.Symbol>();
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (source === undefined) throw new Error(`Cannot read ${file}`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) continue;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol =
        exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (seen.has(symbol)) continue;
      seen.add(symbol);
      const name = exported.getName();
      if (!documented(symbol, checker)) found.push({ name, file });
      if (!(symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface))) continue;
      const members = [
        ...(symbol.members ? [...symbol.members.values()] : []),
        ...(symbol.exports ? [...symbol.exports.values()] : []),
      ];
      for (const member of members) {
        const memberName = member.getName();
        if (memberName === "__constructor" || memberName === "prototype") continue;
        const decls = member.getDeclarations() ?? [];
        if (decls.length === 0 || decls.every(isHidden)) continue;
        if (member.flags & ts.SymbolFlags.TypeParameter) continue;
        if (documented(member, checker) || inheritsDoc(symbol, memberName, checker)) continue;
        found.push({ name: `${name}.${memberName}`, file });
      }
    }
  }
  return found;
}
