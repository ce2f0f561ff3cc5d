"""Domain, policy, services and persistence of Growth Engine; imports no adapter."""
