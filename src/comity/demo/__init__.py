"""The demo story: a node set up with the demo jurisdictions, agreements and people, and what it decides."""
