// The trace-to-invoice checklist: what a ledger record must carry before its cost can be traced
// from the invoice to an owner without argument. Order is the order of every report and sheet.
export const CHECKLIST_FIELDS = [
    { field: 'team', label: 'Owner: team', description: 'the record carries no team tag (the key map may still name an owner)' },
    { field: 'service', label: 'Owner: service', description: 'the record carries no service' },
    { field: 'cost_center', label: 'Owner: cost center', description: "neither the record nor its team's owners entry gives a cost center" },
    { field: 'workflow', label: 'Route or workflow', description: 'the record names no route or workflow' },
    { field: 'actual_model', label: 'Actual model', description: 'the model that answered (response model) is blank' },
    { field: 'token_counts', label: 'Token counts by category', description: 'a successful record with no tokens, or cache/reasoning counts larger than the totals they are part of' },
    { field: 'retry_linkage', label: 'Retry linkage', description: 'a retry (attempt > 1) that does not name its original request' },
    { field: 'card_version', label: 'Card version', description: 'the gateway did not record which rate card version it priced with' },
    { field: 'correlation_id', label: 'Correlation id', description: 'neither a provider response id nor a trace id to find the call on the provider side' },
    { field: 'timestamp', label: 'Timestamp', description: 'no timestamp (ingest rejects such rows, so this stays 0)' },
    { field: 'environment', label: 'Environment', description: 'the record does not say production, staging or test' },
    { field: 'gateway_key', label: 'Gateway key', description: 'the record names no gateway key' },
];
export const FINDINGS = {
    shared_key: 'A gateway key used by more than one team or service: its untagged calls cannot be split between them without a tag.',
    key_without_owner: "A gateway key missing from the owners' key map: its untagged calls belong to nobody, and teams using it cannot go to chargeback.",
    owner_mismatch: 'Records tagged with a team other than the owner of their gateway key: one of the two is wrong, and the bill follows the tag.',
    unlinked_retry: 'Retries (attempt > 1) that do not name their original request: they cannot be told apart from new calls, so retry cost cannot be checked.',
    fallback: 'The model that answered is not the model requested (fallback or silent upgrade): the call is billed at the price of the model that answered.',
    card_version_mismatch: 'The gateway priced the record with a rate card version other than the one in effect at its timestamp: its own cost estimate is stale.',
    conversation_only: 'Requests whose only grouping is a conversation or session id: a conversation can span teams and products, so it is not an owner.',
    nonprod_on_production_key: 'Staging or test traffic on a production key: it is billed as production spend of the key owner.',
};
