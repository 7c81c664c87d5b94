/**
 * PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. A payload that could come near it is
 * sent as '*' instead ("anything may have changed"), which every listener understands.
 */
export const NOTIFY_PAYLOAD_LIMIT = 7_900;
