"""What tests, benchmarks and AWS clients stand on, apart from the production backends: an HTTP endpoint that speaks
AWS HealthImaging's REST API over a datastore (endpoint), the service's misbehaviour on demand (faults), and a bulk
loader that fills a local store with a million image sets for the benchmarks (bulk).
"""
