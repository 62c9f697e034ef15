"""The Salesforce object model the pipeline reads: objects, fields, their types and naming."""
