"""Commands a user runs through make: render, preflights, local images, the Docker Engine client they use."""
