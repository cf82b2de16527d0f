"""A realistic, deterministic demo environment (`manage.py generate_demo_data`).

`names` holds the catalogue (people, the org tree, destinations, OS and agent versions),
`environment` draws a fleet from it for a seed, `logins` adds one demo login per role,
`progress` draws the progress bar.
"""
