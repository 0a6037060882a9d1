"""The shared kernel: what every Khadem service needs and nothing that belongs to one service.

settings (environment), errors (the error vocabulary shared by services and the gateway), events
(CloudEvents envelope and catalogue), store (transactions, outbox, inbox), messaging (outbox relay,
reliable event handlers, parked messages), jalali (dates and periods), persian (normalisation and
validators), access (actors, roles and the units they cover).
"""
