# The load balancer's own subnets, one per availability zone, carved from `subnet_cidr` (a
# range of the VPC that nothing else uses). Only the load balancer's nodes take addresses
# here, which is what lets the app's NetworkPolicy admit this range and nothing else. The
# route table has only the VPC's local route: the load balancer answers API Gateway and
# talks to the nodes, both inside the VPC.
resource "aws_subnet" "load_balancer" {
  count = length(var.availability_zones)

  vpc_id                  = var.vpc_id
  availability_zone       = var.availability_zones[count.index]
  cidr_block              = cidrsubnet(var.subnet_cidr, 2, count.index)
  map_public_ip_on_launch = false

  tags = { Name = "${var.name}-app-lb-${var.availability_zones[count.index]}" }
}

resource "aws_route_table" "load_balancer" {
  vpc_id = var.vpc_id

  tags = { Name = "${var.name}-app-lb" }
}

resource "aws_route_table_association" "load_balancer" {
  count = length(var.availability_zones)

  subnet_id      = aws_subnet.load_balancer[count.index].id
  route_table_id = aws_route_table.load_balancer.id
}
