// Package external accepts XEP-0114 external components: programs (gateways,
// bots, services) that connect to the server over TCP, prove they know the
// shared secret of their domain with the <handshake/> of XEP-0114 (the hex
// SHA-1 of the stream id followed by the secret), and then exchange stanzas
// with the server as if they were a service mounted on that domain.
//
// A Server listens for components and gives, for each configured domain, a
// component.Handler (Server.Handler) that the main server mounts by domain,
// exactly as it mounts the in-process MUC service: stanzas the router hands
// it are written to the connected component, and stanzas the component
// sends go to the component.Router of Config. While no component is
// connected for a domain, its handler bounces requests with
// service-unavailable, as a server does for a service that is down.
//
// The Server is also a module.Module: registered with the main server, it
// mounts every domain through the registry and takes the registrar's
// router. That is how server.Config.Components (mucd -component
// NAME:SECRET -component-port 5347) uses it; Config.Busy and Pending let
// the main server's WaitIdle count the components' work as it counts the
// clients'.
//
// Components are trusted no more than clients: the opening and every stanza
// are bounded in size, depth and attribute count; the handshake has a time
// limit; a component may only send from its own domain (invalid-from) and
// must address its stanzas (improper-addressing); what waits to be written
// to a component that does not read is bounded in stanzas and bytes. Each
// violation ends that component's stream with the stream error RFC 6120
// section 4.9.3 names, and everyone else keeps being served.
package external
