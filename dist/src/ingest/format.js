export const LEDGER_COLUMNS = [
    'request_id', 'timestamp', 'provider', 'response_model', 'input_tokens', 'output_tokens',
    'original_request_id', 'attempt', 'requested_model', 'cache_read_input_tokens',
    'cache_write_5m_input_tokens', 'cache_write_1h_input_tokens', 'reasoning_output_tokens',
    'service_tier', 'status', 'http_status', 'team', 'service', 'cost_center', 'tenant', 'environment',
    'workflow', 'user_id', 'gateway_key_id', 'region', 'price_card_version', 'gateway_cost_usd',
    'provider_response_id', 'trace_id', 'conversation_id',
];
