"""`make bench`: the program under mocks, the real engine on Kubernetes and Docker, and rule evaluation cost."""
