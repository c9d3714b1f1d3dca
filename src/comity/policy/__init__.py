"""C2 policy engine: whether a proposed action may go ahead under the agreement and regime that govern it.

``engine.evaluate`` (pure, deterministic) applies Comity's own rules and the regime's (``rules/``);
``deadlines.due`` counts legal periods (Regulation 1182/71 or elapsed time) in the addressee's zone;
``service.decide`` resolves codes as the API and CLI do; ``schemas`` and ``explain`` present decisions.
"""
