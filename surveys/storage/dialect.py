"""The application's SQL is written once, in SQLite's dialect; this module says it to PostgreSQL.

sqlglot translates each statement (placeholders included) and the few constructs it leaves as they
are are rewritten here: GLOB checks become regular expressions, ``INSERT OR IGNORE`` an
``ON CONFLICT DO NOTHING``, ``CREATE VIEW IF NOT EXISTS`` a ``CREATE OR REPLACE VIEW``, and SQLite's
``INTEGER PRIMARY KEY`` row id an id given by ``qiping_next_id`` (max + 1, as SQLite does). SQLite
functions with no PostgreSQL twin (``datetime('now')``, ``json_remove`` …) are defined in the
database by ``COMPAT_FUNCTIONS``, so the translation need not know them.
"""
from __future__ import annotations

import functools
import itertools
import re

import sqlglot
from sqlglot import exp

ROW_ID_TABLE = re.compile(
    r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(\s*id\s+INTEGER\s+PRIMARY\s+KEY\s*,", re.I)


def glob_to_regex(pattern: str) -> str:
    out = []
    for part in re.findall(r"\[[^\]]*\]|.", pattern):
        out.append(part if part.startswith("[") and len(part) > 1 else
                   ".*" if part == "*" else "." if part == "?" else re.escape(part))
    return "^" + "".join(out) + "$"


_SUBQUERY_NAMES = itertools.count(1)  # SQLite lets a subquery in FROM go unnamed


def _is_predicate(node: exp.Expression) -> bool:
    return isinstance(node, (exp.Predicate, exp.Boolean, exp.Not, exp.Connector, exp.Exists)) or (
        isinstance(node, exp.Paren) and _is_predicate(node.this))


def _as_truth(node: exp.Expression) -> exp.Expression:
    """SQLite takes any value as a condition (0, NULL and '' are false); PostgreSQL wants a boolean."""
    if _is_predicate(node) and not isinstance(node, (exp.Connector, exp.Not, exp.Paren)):
        return node
    if isinstance(node, exp.Connector):
        return node.__class__(this=_as_truth(node.this), expression=_as_truth(node.expression))
    if isinstance(node, exp.Not):
        return exp.Not(this=_as_truth(node.this))
    if isinstance(node, exp.Paren):
        return exp.Paren(this=_as_truth(node.this))
    text = exp.Cast(this=node.copy(), to=exp.DataType.build("TEXT"))
    falsy = exp.Tuple(expressions=[exp.Literal.string(v) for v in ("0", "0.0", "false", "")])
    return exp.func("COALESCE", exp.Not(this=exp.In(this=text, expressions=falsy.expressions)), exp.false())


def _condition_of(node: exp.Expression) -> str | None:
    if isinstance(node, (exp.Where, exp.Having, exp.Filter)):
        return "this"
    if isinstance(node, exp.If):  # CASE WHEN cond …, not CASE value WHEN value …
        return None if isinstance(node.parent, exp.Case) and node.parent.this else "this"
    if isinstance(node, exp.Join):
        return "on"
    return None


def _rewrite(node: exp.Expression) -> exp.Expression:
    key = _condition_of(node)
    if key and isinstance(node.args.get(key), exp.Expression) and not isinstance(node, exp.Filter):
        node.set(key, _as_truth(node.args[key]))
    if isinstance(node, exp.Coalesce) and any(_is_text(a) for a in [node.this, *node.expressions]):
        node.set("this", _text_argument(node.this) if not _is_text(node.this) else node.this)
        node.set("expressions", [a if _is_text(a) else _text_argument(a) for a in node.expressions])
    if isinstance(node, exp.Join) and node.args.get("on") and (node.kind or "").upper() == "CROSS":
        node.set("kind", None)  # SQLite's CROSS JOIN … ON is an inner join that keeps the order of tables
    if isinstance(node, exp.Select):
        node.set("expressions", [_as_number(e) for e in node.expressions])
    if isinstance(node, exp.GroupConcat):
        node.set("this", _text_argument(node.this))
    if isinstance(node, exp.Subquery) and not node.alias and isinstance(node.parent, (exp.From, exp.Join)):
        node.set("alias", exp.TableAlias(this=exp.to_identifier(f"subquery_{next(_SUBQUERY_NAMES)}")))
    if isinstance(node, exp.Like):  # SQLite's LIKE ignores the case of ASCII letters
        return exp.ILike(this=node.this, expression=node.expression)
    if isinstance(node, exp.In) and not node.expressions and not node.args.get("query"):
        return exp.false()  # SQLite's IN () of an empty list
    if isinstance(node, exp.Glob) and isinstance(node.expression, exp.Literal):
        return exp.RegexpLike(this=node.this, expression=exp.Literal.string(glob_to_regex(node.expression.this)))
    if isinstance(node, exp.Ordered) and node.find_ancestor(exp.OnConflict, exp.IndexParameters, exp.Create):
        return node.this
    return node


def _as_number(projection: exp.Expression) -> exp.Expression:
    """A comparison selected is 0 or 1 in SQLite, a boolean in PostgreSQL: selected as SQLite does."""
    inner = projection.this if isinstance(projection, exp.Alias) else projection
    if not (_is_predicate(inner) or isinstance(inner, exp.Not)):
        return projection
    number = exp.Cast(this=exp.Paren(this=inner.copy()), to=exp.DataType.build("INT"))
    return exp.alias_(number, projection.alias) if isinstance(projection, exp.Alias) else number


def _is_text(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def _text_argument(node: exp.Expression) -> exp.Expression:
    """group_concat joins numbers as text in SQLite; string_agg takes text only."""
    if isinstance(node, exp.Order):
        node.set("this", _text_argument(node.this))
        return node
    if isinstance(node, exp.Distinct):
        node.set("expressions", [_text_argument(e) for e in node.expressions])
        return node
    return exp.Cast(this=node, to=exp.DataType.build("TEXT"))


def _insert_or(statement: exp.Expression) -> exp.Expression:
    if isinstance(statement, exp.Insert) and statement.args.get("alternative"):
        alternative = statement.args["alternative"].upper()
        statement.set("alternative", None)
        if alternative == "IGNORE":
            statement.set("conflict", exp.OnConflict(action=exp.var("DO NOTHING")))
        else:
            raise NotImplementedError(f"INSERT OR {alternative} has no PostgreSQL translation")
    return statement


def _escape_percent(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Literal) and node.is_string and "%" in node.this:
        return exp.Literal.string(node.this.replace("%", "%%"))
    return node


@functools.lru_cache(maxsize=4096)
def to_postgres(sql: str, with_parameters: bool = True) -> str:
    """``sql`` (SQLite, one or more statements) as PostgreSQL; with ``with_parameters`` the
    placeholders become psycopg's and a literal ``%`` is doubled."""
    if sql.lstrip().upper().startswith("PRAGMA"):
        raise ValueError("PRAGMA has no PostgreSQL translation: " + sql)
    out = []
    for statement in sqlglot.parse(sql, read="sqlite"):
        if statement is None:
            continue
        statement = _insert_or(statement.transform(_rewrite))
        if isinstance(statement, exp.Create) and statement.args.get("kind") == "VIEW" and statement.args.get("exists"):
            statement.set("exists", False)
            statement.set("replace", True)
        if with_parameters:
            statement = statement.transform(_escape_percent)
        out.append(statement.sql(dialect="postgres"))
    translated = ";\n".join(out)
    for table in ROW_ID_TABLE.findall(sql):
        translated += (f";\nCREATE TRIGGER {table}_row_id BEFORE INSERT ON {table} "
                       f"FOR EACH ROW WHEN (NEW.id IS NULL) EXECUTE FUNCTION qiping_next_id()")
    return translated


# Defined once per PostgreSQL database, in the schema ``qiping_compat`` that every county's
# search_path ends with.
COMPAT_FUNCTIONS = r"""
CREATE SCHEMA IF NOT EXISTS qiping_compat;
SET search_path = qiping_compat;
CREATE OR REPLACE FUNCTION qiping_next_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO NEW.id;
  RETURN NEW;
END $$;
CREATE OR REPLACE FUNCTION datetime(text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE WHEN $1 = 'now' THEN to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
         ELSE to_char($1::timestamp, 'YYYY-MM-DD HH24:MI:SS') END $$;
CREATE OR REPLACE FUNCTION date(text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE WHEN $1 = 'now' THEN to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')
         ELSE to_char($1::timestamp, 'YYYY-MM-DD') END $$;
CREATE OR REPLACE FUNCTION randomblob(integer) RETURNS bytea LANGUAGE sql AS $$
  SELECT decode(string_agg(lpad(to_hex((random() * 255)::int), 2, '0'), ''), 'hex') FROM generate_series(1, $1) $$;
CREATE OR REPLACE FUNCTION hex(bytea) RETURNS text IMMUTABLE LANGUAGE sql AS $$ SELECT upper(encode($1, 'hex')) $$;
CREATE OR REPLACE FUNCTION json_path(text) RETURNS text[] IMMUTABLE LANGUAGE sql AS $$
  SELECT string_to_array(regexp_replace($1, '^\$\.?', ''), '.') $$;
CREATE OR REPLACE FUNCTION json_remove(text, text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT ($1::jsonb #- json_path($2))::text $$;
CREATE OR REPLACE FUNCTION json_set(text, text, anyelement) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT jsonb_set($1::jsonb, json_path($2), to_jsonb($3))::text $$;
CREATE OR REPLACE FUNCTION json_set(text, text, text) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT jsonb_set($1::jsonb, json_path($2), to_jsonb($3))::text $$;
CREATE OR REPLACE FUNCTION json_extract_path_text(text, VARIADIC text[]) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT json_extract_path_text($1::json, VARIADIC $2) $$;
CREATE OR REPLACE FUNCTION bool_sum(bigint, boolean) RETURNS bigint IMMUTABLE LANGUAGE sql AS $$
  SELECT $1 + CASE WHEN $2 THEN 1 ELSE 0 END $$;
DO $$ BEGIN
  CREATE AGGREGATE sum(boolean) (sfunc = bool_sum, stype = bigint, initcond = '0');
EXCEPTION WHEN duplicate_function THEN NULL; END $$;
"""


def tables_read(sql: str) -> set[str] | None:
    """Every table or view ``sql`` reads (common table expressions excepted); None unless it is one
    query that only reads."""
    statements = sqlglot.parse(sql, read="sqlite")
    if len(statements) != 1 or not isinstance(statements[0], exp.Query) or any(
            isinstance(node, (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop)) for node in statements[0].walk()):
        return None
    statement = statements[0]
    ctes = {cte.alias for cte in statement.find_all(exp.CTE)}
    return {table.name for table in statement.find_all(exp.Table)} - ctes
