-- `try_jsonb(text)`: the text as jsonb, or NULL when it is not JSON (SQLite's
-- `CASE WHEN json_valid(x) THEN json_extract(...)`): a revision's `reason` is a park note as
-- JSON or plain text, and the search reads the note's facts (store/postgres/revisions.py).
CREATE FUNCTION try_jsonb(value text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END;
$$;
