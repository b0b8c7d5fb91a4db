"""PostgreSQL capture: PL/pgSQL trigger functions, context from transaction-local settings.

The service layer passes who/why with `set_config('rempart.<name>', value, true)`, which
lives until the end of the transaction. `rempart_audit_append` serialises every append on one
advisory transaction lock, so `seq = last + 1` is gap-free and linear under concurrent
writers (a rolled-back writer releases the lock without consuming a number). The entry's
hash is computed in SQL: the canonical JSON text is built with the keys in RFC 8785 order and
each value rendered by `to_json(...)::text`, which for strings, integers and null produces the
same bytes as RFC 8785 (tests compare it with the `rfc8785` library).
"""

from __future__ import annotations

from rempart.mes.audit.chain import HASHED_FIELDS
from rempart.mes.audit.registry import AUDIT_TABLE, AuditSpec

#: An arbitrary constant naming the audit chain's advisory lock.
CHAIN_LOCK_KEY = 7_262_771_301


def _canonical_sql() -> str:
    parts = []
    for index, name in enumerate(HASHED_FIELDS):
        prefix = "{" if index == 0 else ","
        parts.append(f"'{prefix}\"{name}\":' || COALESCE(to_json(v.{name})::text, 'null')")
    return " || ".join(parts) + " || '}'"


_VALUES = {
    "seq": "v_seq",
    "recorded_at": "v_ts",
    "user_id": "v_uid",
    "printed_name": "v_pn",
    "role": "v_role",
    "action": "p_action",
    "entity": "p_entity",
    "entity_key": "p_key",
    "field": "p_field",
    "old_value": "p_old",
    "new_value": "p_new",
    "reason": "v_reason",
    "request_id": "v_rid",
    "prev_hash": "v_prev",
}

# Built from constants of this package only (no input reaches it): not an injection vector.
APPEND_BODY = f"""
DECLARE
  v_seq bigint; v_prev text; v_ts text; v_uid text; v_pn text; v_role text;
  v_reason text; v_rid text; v_canon text;
BEGIN
  PERFORM pg_advisory_xact_lock({CHAIN_LOCK_KEY});
  SELECT seq, hash INTO v_seq, v_prev FROM {AUDIT_TABLE} ORDER BY seq DESC LIMIT 1;
  v_seq := COALESCE(v_seq, 0) + 1;
  v_ts := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
  v_uid := COALESCE(NULLIF(current_setting('rempart.user_id', true), ''), 'db:' || session_user);
  v_pn := COALESCE(NULLIF(current_setting('rempart.printed_name', true), ''), 'unknown');
  v_role := NULLIF(current_setting('rempart.role', true), '');
  v_reason := NULLIF(current_setting('rempart.reason', true), '');
  v_rid := NULLIF(current_setting('rempart.request_id', true), '');
  SELECT {_canonical_sql()} INTO v_canon FROM (SELECT {
    ", ".join(
        f"{expr}::{'bigint' if name == 'seq' else 'text'} AS {name}"
        for name, expr in _VALUES.items()
    )
} ) AS v;
  INSERT INTO {AUDIT_TABLE} ({", ".join(HASHED_FIELDS)}, hash)
  VALUES ({", ".join(_VALUES[name] for name in HASHED_FIELDS)},
          encode(sha256(convert_to(v_canon, 'UTF8')), 'hex'));
END
"""  # noqa: S608

CAPTURE_BODY = """
DECLARE
  o jsonb := '{}'::jsonb; n jsonb := '{}'::jsonb; k text; ov text; nv text; v_key text;
  redacted text[] := string_to_array(TG_ARGV[1], ',');
BEGIN
  IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW); END IF;
  IF TG_OP = 'UPDATE' AND o = n THEN RETURN NULL; END IF;
  IF TG_OP <> 'INSERT' AND NULLIF(current_setting('rempart.reason', true), '') IS NULL THEN
    RAISE EXCEPTION 'rempart: a change to % needs a reason', TG_TABLE_NAME;
  END IF;
  v_key := COALESCE(n ->> TG_ARGV[0], o ->> TG_ARGV[0]);
  FOR k IN SELECT x FROM jsonb_object_keys(o || n) AS x ORDER BY x LOOP
    ov := o ->> k;
    nv := n ->> k;
    IF ov IS DISTINCT FROM nv THEN
      IF k = ANY(redacted) THEN
        ov := CASE WHEN ov IS NULL THEN NULL ELSE '[redacted]' END;
        nv := CASE WHEN nv IS NULL THEN NULL ELSE '[redacted]' END;
      END IF;
      PERFORM rempart_audit_append(TG_OP, TG_TABLE_NAME::text, v_key, k, ov, nv);
    END IF;
  END LOOP;
  RETURN NULL;
END
"""

REFUSE_BODY = """
BEGIN
  RAISE EXCEPTION 'rempart: % on % refused: %', TG_OP, TG_TABLE_NAME, TG_ARGV[0];
END
"""

#: name → (signature, returns, body). Bodies are compared with pg_proc.prosrc by the check.
FUNCTIONS: dict[str, tuple[str, str, str]] = {
    "rempart_audit_append": (
        "p_action text, p_entity text, p_key text, p_field text, p_old text, p_new text",
        "void",
        APPEND_BODY,
    ),
    "rempart_audit_capture": ("", "trigger", CAPTURE_BODY),
    "rempart_refuse": ("", "trigger", REFUSE_BODY),
}


def function_sql(name: str) -> str:
    signature, returns, body = FUNCTIONS[name]
    return (
        f"CREATE OR REPLACE FUNCTION {name}({signature}) RETURNS {returns} "
        f"LANGUAGE plpgsql AS $rempart${body}$rempart$"
    )


def capture_trigger(spec: AuditSpec) -> tuple[str, str]:
    name = f"rempart_audit_{spec.table}"
    redacted = ",".join(sorted(spec.redacted))
    return name, (
        f'CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON "{spec.table}" '
        f"FOR EACH ROW EXECUTE FUNCTION rempart_audit_capture('{spec.key_column}', '{redacted}')"
    )


def guard_trigger(table: str, operation: str, why: str) -> tuple[str, str]:
    name = f"rempart_guard_{table}_no{operation.lower()}"
    return name, (
        f'CREATE TRIGGER {name} BEFORE {operation} ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION rempart_refuse('{why}')"
    )
